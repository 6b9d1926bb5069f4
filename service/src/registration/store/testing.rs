//! The store's unit tests run on both back ends: SQLite in memory, and a fresh PostgreSQL
//! database on the server of `MPNS_TEST_DATABASE_URL` (dropped at the end) when it is set.
//! Without it they say so loudly and run on SQLite only; with `CI` set they fail instead.

use std::ops::Deref;

use super::Store;

/// A store for one test, and what to drop after it.
pub(super) struct TestStore {
    store: Option<Store>,
    drop_database: Option<(String, String)>,
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store.as_ref().expect("present until dropped")
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        drop(self.store.take());
        if let Some((admin, name)) = self.drop_database.take() {
            if let Ok(mut client) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// `url` with its database name replaced.
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

/// SQLite in memory, and PostgreSQL when the server is given.
pub(super) fn stores() -> Vec<TestStore> {
    let mut all = vec![TestStore {
        store: Some(Store::in_memory().expect("SQLite in memory")),
        drop_database: None,
    }];
    match std::env::var("MPNS_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("mpns_unit_{}", uuid::Uuid::new_v4().simple());
            let mut client = postgres::Client::connect(&admin, postgres::NoTls)
                .expect("MPNS_TEST_DATABASE_URL names a server this test can reach");
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("the role of MPNS_TEST_DATABASE_URL may create databases");
            all.push(TestStore {
                store: Some(Store::connect(&with_database(&admin, &name)).expect("fresh database")),
                drop_database: Some((admin, name)),
            });
        }
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but MPNS_TEST_DATABASE_URL is not: .ci/run starts a PostgreSQL server and sets it"
            );
            eprintln!("SKIP (PostgreSQL half): MPNS_TEST_DATABASE_URL is not set; this store test ran on SQLite only");
        }
    }
    all
}
