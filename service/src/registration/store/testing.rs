//! The store's unit tests run on both back ends: SQLite in memory, and a fresh PostgreSQL
//! database on the server of `MPNS_TEST_DATABASE_URL` (dropped at the end) when it is set.
//! Without it they say so loudly and run on SQLite only; with `CI` set they fail instead
//! (`test_database.rs`, shared with the service's test program).

use std::ops::Deref;

use super::test_database::{server, FreshDatabase};
use super::Store;

/// A store for one test, and the database to drop after it.
pub(super) struct TestStore {
    store: Option<Store>,
    database: Option<FreshDatabase>,
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store.as_ref().expect("present until dropped")
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        // The store's connections first, then its database.
        drop(self.store.take());
        drop(self.database.take());
    }
}

/// SQLite in memory, and PostgreSQL when the server is given.
pub(super) fn stores() -> Vec<TestStore> {
    let mut all = vec![TestStore {
        store: Some(Store::in_memory().expect("SQLite in memory")),
        database: None,
    }];
    if let Some(server) = server("this store unit test's PostgreSQL half") {
        let database = FreshDatabase::create(&server);
        all.push(TestStore {
            store: Some(Store::connect(&database.url).expect("fresh database")),
            database: Some(database),
        });
    }
    all
}
