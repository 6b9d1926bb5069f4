//! A PostgreSQL server for the tests, shared by the store's unit tests (`testing.rs`) and the
//! service's test program (`tests/service/support/pg.rs`, which includes this file by path):
//! the server named by `MPNS_TEST_DATABASE_URL` (a role that may create databases; `.ci/run`
//! starts one and sets it), and a fresh database with a random name per test, dropped at the
//! end, so tests run in parallel. Without the variable a test's PostgreSQL half prints a loud
//! `SKIP` line and passes; with `CI` set it fails instead. Only `std`, `postgres` and `uuid`
//! are used here, so that the file compiles in both crates (the store is a type parameter:
//! `Store` is named differently inside the crate and outside it).

/// The variable that names the server.
pub(crate) const VAR: &str = "MPNS_TEST_DATABASE_URL";

/// The server's URL, or `None` (after a loud `SKIP` naming `what`) when none is given.
///
/// # Panics
/// When `CI` is set and the variable is not: CI must run the PostgreSQL tests.
pub(crate) fn server(what: &str) -> Option<String> {
    match std::env::var(VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {VAR} is not: .ci/run starts a PostgreSQL server and sets it ({what})"
            );
            eprintln!(
                "SKIP: {what} needs PostgreSQL: set {VAR}=postgres://USER@127.0.0.1:PORT/postgres \
                 (see the README, \"PostgreSQL tests\")"
            );
            None
        }
    }
}

/// `url` with its database name replaced by `name`.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after_scheme..].find('/') {
        Some(slash) => &head[..after_scheme + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A fresh, empty database on the server, dropped (with its connections) when this is.
pub(crate) struct FreshDatabase {
    admin: String,
    name: String,
    /// The database's URL.
    pub(crate) url: String,
}

impl FreshDatabase {
    /// Creates one on `server`. Blocking: call it outside async code, or through
    /// `spawn_blocking`.
    pub(crate) fn create(server: &str) -> FreshDatabase {
        let name = format!("mpns_test_{}", uuid::Uuid::new_v4().simple());
        let admin = server.to_owned();
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{VAR} names a server this test cannot reach: {e}"));
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("the role of {VAR} may not create databases: {e}"));
        let url = with_database(&admin, &name);
        FreshDatabase { admin, name, url }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // The sync client may not block a thread that runs async tasks: a thread of its own.
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// A store for one test (`S`, the service's `Store`) and the database to drop after it.
pub(crate) struct TestStore<S> {
    /// `sqlite` or `postgres`, for failure messages.
    #[allow(dead_code)] // read by the service's test program, not by the store's unit tests
    pub(crate) backend: &'static str,
    store: Option<S>,
    database: Option<FreshDatabase>,
}

impl<S> std::ops::Deref for TestStore<S> {
    type Target = S;
    fn deref(&self) -> &S {
        self.store.as_ref().expect("present until dropped")
    }
}

impl<S> Drop for TestStore<S> {
    fn drop(&mut self) {
        // The store's connections first, then its database.
        drop(self.store.take());
        drop(self.database.take());
    }
}

/// The stores every store test runs on: SQLite in memory (`in_memory`), and a fresh
/// PostgreSQL database (`connect`ed by URL) when the server is given; otherwise a loud `SKIP`
/// naming `what` for that half.
pub(crate) fn stores<S: Send + 'static>(
    what: &str,
    in_memory: impl FnOnce() -> S,
    connect: fn(&str) -> S,
) -> Vec<TestStore<S>> {
    let mut all = vec![TestStore {
        backend: "sqlite",
        store: Some(in_memory()),
        database: None,
    }];
    if let Some(server) = server(what) {
        // The sync client may not block a thread that runs async tasks: a thread of its own.
        let (store, database) = std::thread::spawn(move || {
            let database = FreshDatabase::create(&server);
            (connect(&database.url), database)
        })
        .join()
        .expect("the fresh database and its store");
        all.push(TestStore {
            backend: "postgres",
            store: Some(store),
            database: Some(database),
        });
    }
    all
}
