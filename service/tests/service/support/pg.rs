//! PostgreSQL for the tests: the server named by `MPNS_TEST_DATABASE_URL` (a role that may
//! create databases; `.ci/run` starts one and sets it). Each test gets a fresh database with a
//! random name, dropped at the end, so tests run in parallel. Without the variable a test's
//! PostgreSQL half prints a loud `SKIP` line and passes; with `CI` set it fails instead.

use mpns_service::registration::Store;

#[path = "../../../src/registration/store/test_database.rs"]
mod test_database;
pub(crate) use test_database::{server, FreshDatabase};

impl FreshDatabase {
    /// A plain client on the database (for what a test checks behind the store's back).
    pub(crate) fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

/// A store for one test: SQLite in memory, or a fresh PostgreSQL database.
pub(crate) type TestStore = test_database::TestStore<Store>;

/// The stores every store test runs on: SQLite in memory, and a fresh PostgreSQL database when
/// the server is given (otherwise a loud `SKIP` for that half).
pub(crate) fn stores(what: &str) -> Vec<TestStore> {
    test_database::stores(
        what,
        || Store::in_memory().unwrap(),
        |url| Store::connect(url).unwrap(),
    )
}
