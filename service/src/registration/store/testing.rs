//! The store's unit tests run on both back ends: SQLite in memory, and a fresh PostgreSQL
//! database on the server of `MPNS_TEST_DATABASE_URL` (dropped at the end) when it is set.
//! Without it they say so loudly and run on SQLite only; with `CI` set they fail instead
//! (`test_database.rs`, shared with the service's test program).

use super::Store;

/// A store for one test, and the database to drop after it.
pub(super) type TestStore = super::test_database::TestStore<Store>;

/// SQLite in memory, and PostgreSQL when the server is given.
pub(super) fn stores() -> Vec<TestStore> {
    super::test_database::stores(
        "this store unit test's PostgreSQL half",
        || Store::in_memory().expect("SQLite in memory"),
        |url| Store::connect(url).expect("fresh database"),
    )
}
