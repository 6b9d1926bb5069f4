//! The PostgreSQL side of the `serve-pg` and `serve-pg3` runs: a fresh database on the
//! server given with `--database-url` (a role that may create databases), made with a random
//! name and dropped at the end, and its registrations written in one statement.

use crate::{Args, Res};

/// A fresh database on the server, dropped with this.
pub(crate) struct Database {
    server: String,
    name: String,
    pub(crate) url: String,
}

impl Database {
    pub(crate) fn create(server: &str) -> Res<Database> {
        let name = format!("mpns_bench_{}", uuid::Uuid::new_v4().simple());
        let mut client =
            postgres::Client::connect(server, postgres::NoTls).map_err(|e| e.to_string())?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| e.to_string())?;
        let (head, query) = server
            .split_once('?')
            .map_or((server, None), |(h, q)| (h, Some(q)));
        let after = head.find("://").map_or(0, |i| i + 3);
        let base = head[after..]
            .find('/')
            .map_or(head, |slash| &head[..after + slash]);
        let url = match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        };
        Ok(Database {
            server: server.to_owned(),
            name,
            url,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // The sync client blocks: not on a runtime's thread.
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&server, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// Runs blocking code (the sync PostgreSQL client, SQLite) off the runtime's threads.
pub(crate) async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Res<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())
}

/// The PostgreSQL server of the runs: `--database-url`, or MPNS_TEST_DATABASE_URL.
pub(crate) fn server_url(args: &Args) -> Res<String> {
    args.database_url
        .clone()
        .or_else(|| std::env::var("MPNS_TEST_DATABASE_URL").ok())
        .ok_or_else(|| {
            "needs a PostgreSQL server: --database-url postgres://... (or MPNS_TEST_DATABASE_URL)"
                .to_owned()
        })
}

/// One subscriber per channel URI (`user0000000`, ...), in one statement.
pub(crate) async fn register_all(url: &str, uris: Vec<String>) -> Res<()> {
    let url = url.to_owned();
    blocking(move || -> Res<()> {
        let names: Vec<String> = (0..uris.len()).map(|i| format!("user{i:07}")).collect();
        let mut c = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        c.execute(
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at)
             SELECT n, u, '8.0', 0 FROM unnest($1::text[], $2::text[]) AS x(n, u)",
            &[&names, &uris],
        )
        .map_err(|e| e.to_string())?;
        Ok(())
    })
    .await?
}
