//! The one thin layer the table-group files write their SQL against, whichever database is
//! behind the store: a statement ([`Sql`]: the SQLite text, and the PostgreSQL text where the
//! dialects differ), its arguments ([`Arg`]) and the rows that come back ([`Row`]), run inside
//! a transaction ([`Tx`]). Most statements are written once in SQLite's form (`?1`) and turned
//! into PostgreSQL's (`$1`) on the way; where the dialects differ (`MIN` of two values is
//! `LEAST`, a parameter in a `SELECT` list needs its type) a file gives both texts side by side.
//!
//! Values are the three kinds this schema has: integers (every integer column is 64-bit on
//! both), text, and null. PostgreSQL's arrays are arguments only, for the set-based statements
//! of its hot paths (`finish.rs`).

use std::borrow::Cow;
use std::collections::HashMap;

use super::StoreError;

/// Which SQL a statement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

/// A statement in both dialects.
#[derive(Debug, Clone)]
pub(super) struct Sql {
    lite: Cow<'static, str>,
    pg: Option<Cow<'static, str>>,
}

impl Sql {
    /// The same statement in both dialects, written with SQLite's `?N` parameters.
    pub(super) const fn same(sql: &'static str) -> Sql {
        Sql {
            lite: Cow::Borrowed(sql),
            pg: None,
        }
    }

    /// A statement whose PostgreSQL text differs (written with `$N` parameters).
    pub(super) const fn each(lite: &'static str, pg: &'static str) -> Sql {
        Sql {
            lite: Cow::Borrowed(lite),
            pg: Some(Cow::Borrowed(pg)),
        }
    }

    /// Built at run time (a `VALUES` list as long as the steps).
    pub(super) fn owned(lite: String, pg: String) -> Sql {
        Sql {
            lite: Cow::Owned(lite),
            pg: Some(Cow::Owned(pg)),
        }
    }

    fn text(&self, dialect: Dialect) -> Cow<'_, str> {
        match (dialect, &self.pg) {
            (Dialect::Sqlite, _) => Cow::Borrowed(&self.lite),
            (Dialect::Postgres, Some(pg)) => Cow::Borrowed(pg),
            (Dialect::Postgres, None) => Cow::Owned(dollar_params(&self.lite)),
        }
    }
}

/// `?1` -> `$1`. The statements of this store have no `?` inside a string literal.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// One argument of a statement.
#[derive(Debug, Clone)]
pub(super) enum Arg<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    /// PostgreSQL only: `bigint[]`.
    Ints(Vec<Option<i64>>),
    /// PostgreSQL only: `text[]`.
    Texts(Vec<Option<String>>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<u8> for Arg<'_> {
    fn from(v: u8) -> Self {
        Arg::Int(v.into())
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Int(v.into())
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}

impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// The arguments of a statement: `args![a, b, c]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::registration::store::db::Arg::from($a)),*][..] };
}
pub(super) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Arg::Null => ToSqlOutput::Owned(Value::Null),
            Arg::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::Ints(_) | Arg::Texts(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "arrays are PostgreSQL arguments only".into(),
                ))
            }
        })
    }
}

/// A null the server may take for any column type (an `Option<T>` would insist on `T`'s).
#[derive(Debug)]
struct Null;

impl postgres::types::ToSql for Null {
    fn to_sql(
        &self,
        _: &postgres::types::Type,
        _: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(postgres::types::IsNull::Yes)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_arg<'a>(arg: &'a Arg<'_>) -> Box<dyn postgres::types::ToSql + Sync + 'a> {
    match arg {
        Arg::Null => Box::new(Null),
        Arg::Int(v) => Box::new(*v),
        Arg::Text(v) => Box::new(*v),
        Arg::Ints(v) => Box::new(v),
        Arg::Texts(v) => Box::new(v),
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Null,
    Int(i64),
    Text(String),
}

/// One row that came back.
#[derive(Debug, Clone)]
pub(super) struct Row(Vec<Val>);

impl Row {
    fn at(&self, i: usize) -> Result<&Val, StoreError> {
        self.0.get(i).ok_or_else(|| {
            StoreError::Column(format!("no column {i} in a row of {}", self.0.len()))
        })
    }

    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            Val::Text(t) => Err(StoreError::Column(format!(
                "column {i}: expected an integer, found the text {t:?}"
            ))),
        }
    }

    pub(super) fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?.ok_or_else(|| {
            StoreError::Column(format!("column {i}: expected an integer, found null"))
        })
    }

    /// An integer column that must fit `T` (a counter, a status code).
    pub(super) fn small<T: TryFrom<i64>>(&self, i: usize) -> Result<T, StoreError> {
        let v = self.int(i)?;
        T::try_from(v).map_err(|_| StoreError::Column(format!("column {i}: {v} is out of range")))
    }

    pub(super) fn opt_small<T: TryFrom<i64>>(&self, i: usize) -> Result<Option<T>, StoreError> {
        match self.opt_int(i)? {
            None => Ok(None),
            Some(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| StoreError::Column(format!("column {i}: {v} is out of range"))),
        }
    }

    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Text(t) => Ok(Some(t.clone())),
            Val::Int(v) => Err(StoreError::Column(format!(
                "column {i}: expected text, found the integer {v}"
            ))),
        }
    }

    pub(super) fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::Column(format!("column {i}: expected text, found null")))
    }
}

fn lite_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let n = r.as_ref().column_count();
    let mut vals = Vec::with_capacity(n);
    for i in 0..n {
        vals.push(match r.get_ref(i)? {
            ValueRef::Null => Val::Null,
            ValueRef::Integer(v) => Val::Int(v),
            ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Real(v) => Val::Int(v as i64),
            ValueRef::Blob(b) => Val::Text(String::from_utf8_lossy(b).into_owned()),
        });
    }
    Ok(Row(vals))
}

fn pg_row(r: &postgres::Row) -> Result<Row, StoreError> {
    use postgres::types::Type;
    let mut vals = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let t = column.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| Val::Int(v.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| Val::Int(v.into()))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(|v| Val::Int(v.into()))
        } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::NAME {
            r.try_get::<_, Option<String>>(i)?.map(Val::Text)
        } else {
            return Err(StoreError::Column(format!(
                "column {} has the type {t}, which this store does not read",
                column.name()
            )));
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(vals))
}

/// Prepared PostgreSQL statements of one connection, by text: compiling a statement costs a
/// round trip, and the hot ones run thousands of times.
pub(super) type StatementCache = HashMap<String, postgres::Statement>;

/// A transaction on either database.
pub(super) enum Tx<'a> {
    Lite(rusqlite::Transaction<'a>),
    Pg {
        tx: postgres::Transaction<'a>,
        cache: &'a mut StatementCache,
    },
}

impl Tx<'_> {
    pub(super) fn dialect(&self) -> Dialect {
        match self {
            Tx::Lite(_) => Dialect::Sqlite,
            Tx::Pg { .. } => Dialect::Postgres,
        }
    }

    fn pg_statement(
        tx: &mut postgres::Transaction<'_>,
        cache: &mut StatementCache,
        sql: &str,
    ) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = cache.get(sql) {
            return Ok(s.clone());
        }
        let s = tx.prepare(sql)?;
        cache.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) fn execute(&mut self, sql: &Sql, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let dialect = self.dialect();
        let text = sql.text(dialect);
        match self {
            Tx::Lite(tx) => Ok(tx
                .prepare_cached(&text)?
                .execute(rusqlite::params_from_iter(args.iter()))?
                as u64),
            Tx::Pg { tx, cache } => {
                let stmt = Tx::pg_statement(tx, cache, &text)?;
                let boxed: Vec<_> = args.iter().map(pg_arg).collect();
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| &**b as _).collect();
                Ok(tx.execute(&stmt, &params)?)
            }
        }
    }

    /// Runs a statement and returns its rows.
    pub(super) fn query(&mut self, sql: &Sql, args: &[Arg<'_>]) -> Result<Vec<Row>, StoreError> {
        let dialect = self.dialect();
        let text = sql.text(dialect);
        match self {
            Tx::Lite(tx) => {
                let mut stmt = tx.prepare_cached(&text)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), lite_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            }
            Tx::Pg { tx, cache } => {
                let stmt = Tx::pg_statement(tx, cache, &text)?;
                let boxed: Vec<_> = args.iter().map(pg_arg).collect();
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| &**b as _).collect();
                tx.query(&stmt, &params)?.iter().map(pg_row).collect()
            }
        }
    }

    /// The first row, if any.
    pub(super) fn query_opt(
        &mut self,
        sql: &Sql,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The one row a statement must return.
    pub(super) fn query_one(&mut self, sql: &Sql, args: &[Arg<'_>]) -> Result<Row, StoreError> {
        self.query_opt(sql, args)?.ok_or_else(|| {
            StoreError::Column("a statement that returns one row returned none".into())
        })
    }

    pub(super) fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Lite(tx) => tx.commit()?,
            Tx::Pg { tx, .. } => tx.commit()?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_parameters_become_postgresql_ones() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?10) AND d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $10) AND d = '?'"
        );
    }
}
