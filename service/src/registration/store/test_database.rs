//! A PostgreSQL server for the tests, shared by the store's unit tests (`testing.rs`) and the
//! service's test program (`tests/service/support/pg.rs`, which includes this file by path):
//! the server named by `MPNS_TEST_DATABASE_URL` (a role that may create databases; `.ci/run`
//! starts one and sets it), and a fresh database with a random name per test, dropped at the
//! end, so tests run in parallel. Without the variable a test's PostgreSQL half prints a loud
//! `SKIP` line and passes; with `CI` set it fails instead. Only `std`, `postgres` and `uuid`
//! are used here, so that the file compiles in both crates.

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
