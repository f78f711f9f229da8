//! D1 over the protocol of workerd's `cloudflare-internal:d1-api` module: `POST /query` and
//! `POST /execute` with `?resultsFormat=ROWS_AND_COLUMNS|ARRAY_OF_OBJECTS|NONE` and a body
//! `{"sql","params"}` or an array of them. An array (a `batch()` or an `exec()`) runs in one
//! transaction: any failure rolls every statement back. Always HTTP 200; failures are
//! `{"success":false,"error":...}`.
//!
//! The database file (`d1/<name>.sqlite`) is the user's own SQLite database: their tables live in
//! it, and [`super::migrations`] and [`execute_sql`] open the same file.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Batch, Connection, StatementStatus};
use serde_json::{json, Value};

use super::http::{internal, json, Call};
use super::store::{lock, Durability, Stores};

/// How rows are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    RowsAndColumns,
    ArrayOfObjects,
    None,
}

impl Format {
    fn parse(text: Option<&str>) -> Format {
        match text {
            Some("ROWS_AND_COLUMNS") => Format::RowsAndColumns,
            Some("NONE") => Format::None,
            _ => Format::ArrayOfObjects,
        }
    }
}

/// Serve one D1 call for database `resource`.
pub fn handle(stores: &Stores, resource: &str, call: &Call) -> Response {
    let db = match stores.open("d1", resource, "", Durability::Full) {
        Ok(db) => db,
        Err(e) => return internal(e),
    };
    let format = Format::parse(call.param("resultsFormat"));
    let body: Value = match serde_json::from_slice(&call.body) {
        Ok(body) => body,
        Err(e) => return json(StatusCode::OK, &failure(&format!("Invalid request: {e}"))),
    };
    let conn = lock(&db);
    let answer = match body {
        Value::Array(items) => {
            let results = run_batch(&conn, &items, format);
            Value::Array(batch_answer(results, call.path == "execute"))
        }
        item => run_one(&conn, &item, format).unwrap_or_else(|e| failure(&error_text(&e))),
    };
    json(StatusCode::OK, &answer)
}

fn failure(message: &str) -> Value {
    json!({ "success": false, "error": message, "meta": {} })
}

/// Run every item in one transaction; on failure, roll back and stop at the failing item.
fn run_batch(conn: &Connection, items: &[Value], format: Format) -> Vec<Result<Value, String>> {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        return vec![Err(error_text(&e))];
    }
    let mut results = Vec::new();
    for item in items {
        match run_one(conn, item, format) {
            Ok(result) => results.push(Ok(result)),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                results.push(Err(error_text(&e)));
                return results;
            }
        }
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return vec![Err(error_text(&e))];
    }
    results
}

/// The response to a batch. `exec()` (`/execute`) reports the failing line by its index, so its
/// answer keeps the items before the failure; `batch()` reads only the first item, so every item
/// of a failed batch carries the error.
fn batch_answer(results: Vec<Result<Value, String>>, execute: bool) -> Vec<Value> {
    let error = results.iter().find_map(|r| r.as_ref().err()).cloned();
    match (error, execute) {
        (None, _) => results.into_iter().flatten().collect(),
        (Some(_), true) => results
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| failure(&e)))
            .collect(),
        (Some(e), false) => results.iter().map(|_| failure(&e)).collect(),
    }
}

/// Run one `{"sql","params"}` item; with several statements in `sql`, the last one's rows count.
pub fn run_one(conn: &Connection, item: &Value, format: Format) -> rusqlite::Result<Value> {
    let started = Instant::now();
    let sql = item["sql"].as_str().unwrap_or_default();
    let params: Vec<Sql> = item["params"]
        .as_array()
        .map(|p| p.iter().map(to_sql).collect())
        .unwrap_or_default();
    let before = conn.total_changes();
    let mut last = Rows::default();
    let mut batch = Batch::new(conn, sql);
    while let Some(mut stmt) = batch.next()? {
        last = run_statement(&mut stmt, &params)?;
    }
    let changed = conn.total_changes() - before;
    let meta = json!({
        "duration": started.elapsed().as_secs_f64() * 1000.0,
        "changes": if changed > 0 { conn.changes() } else { 0 },
        "last_row_id": conn.last_insert_rowid(),
        "changed_db": changed > 0,
        "size_after": size(conn),
        "rows_read": last.read,
        "rows_written": changed,
    });
    let mut result = json!({ "success": true, "meta": meta });
    match format {
        Format::RowsAndColumns => {
            result["results"] = json!({ "columns": last.columns, "rows": last.rows })
        }
        Format::ArrayOfObjects => result["results"] = Value::Array(last.objects()),
        Format::None => {}
    }
    Ok(result)
}

/// The rows of one statement.
#[derive(Debug, Default)]
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    read: u64,
}

impl Rows {
    fn objects(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|row| {
                let pairs = self.columns.iter().cloned().zip(row.iter().cloned());
                Value::Object(pairs.collect())
            })
            .collect()
    }
}

fn run_statement(stmt: &mut rusqlite::Statement<'_>, params: &[Sql]) -> rusqlite::Result<Rows> {
    let wanted = stmt.parameter_count();
    if params.len() != wanted {
        return Err(rusqlite::Error::InvalidParameterCount(params.len(), wanted));
    }
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let mut rows = Vec::new();
    let mut cursor = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(row) = cursor.next()? {
        let cells = (0..columns.len())
            .map(|i| row.get_ref(i).map(from_sql))
            .collect::<rusqlite::Result<Vec<Value>>>()?;
        rows.push(cells);
    }
    drop(cursor);
    let scanned = stmt.get_status(StatementStatus::FullscanStep) as u64;
    let read = scanned.max(rows.len() as u64);
    Ok(Rows {
        columns,
        rows,
        read,
    })
}

/// A JSON parameter as SQLite binds it (`bind()` sends blobs as arrays of bytes).
fn to_sql(value: &Value) -> Sql {
    match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Sql::Text(s.clone()),
        Value::Array(bytes) => Sql::Blob(
            bytes
                .iter()
                .map(|b| b.as_u64().unwrap_or(0) as u8)
                .collect(),
        ),
        Value::Object(_) => Sql::Text(value.to_string()),
    }
}

/// A cell as JSON (blobs as arrays of bytes, as D1 returns them).
fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!(b),
    }
}

fn size(conn: &Connection) -> i64 {
    conn.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

/// D1's error text: SQLite's message and its result code, e.g. `no such table: t: SQLITE_ERROR`.
/// A statement SQLite cannot parse reads `near "THIS": syntax error at offset 0: SQLITE_ERROR`, as in
/// production (rusqlite's own text would add ` in <the SQL>`).
pub fn error_text(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(e, message) => {
            let text = message.clone().unwrap_or_else(|| e.to_string());
            format!("{text}: {}", code_name(e))
        }
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => format!("{msg} at offset {offset}: {}", code_name(error)),
        other => other.to_string(),
    }
}

fn code_name(error: &rusqlite::ffi::Error) -> &'static str {
    match error.extended_code & 0xff {
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        18 => "SQLITE_TOOBIG",
        25 => "SQLITE_RANGE",
        5 => "SQLITE_BUSY",
        _ => "SQLITE_ERROR",
    }
}

/// Run `sql` (any number of statements) against a D1 database file, for
/// `cargo edge d1 execute --command SQL | --file F` on local state. One transaction; returns one
/// result object per statement, shaped as Cloudflare's `raw` endpoint returns them (columns in
/// order, rows as arrays), so local and remote results print alike.
pub fn execute_sql(conn: &mut Connection, sql: &str) -> rusqlite::Result<Vec<Value>> {
    let tx = conn.transaction()?;
    let mut results = Vec::new();
    {
        let mut batch = Batch::new(&tx, sql);
        while let Some(mut stmt) = batch.next()? {
            let started = Instant::now();
            let rows = run_statement(&mut stmt, &[])?;
            results.push(json!({
                "success": true,
                "results": { "columns": rows.columns, "rows": rows.rows },
                "meta": { "duration": started.elapsed().as_secs_f64() * 1000.0,
                          "changes": tx.changes(), "last_row_id": tx.last_insert_rowid() },
            }));
        }
    }
    tx.commit()?;
    Ok(results)
}

/// Open the local file of D1 database `name` under `state_dir` (created when missing).
pub fn open_database(state_dir: &std::path::Path, name: &str) -> super::error::Result<Connection> {
    let path = state_dir
        .join("d1")
        .join(format!("{}.sqlite", super::store::file_stem(name)));
    super::store::open_file(&path, "", Durability::Full)
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_read_as_production_s() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let syntax = conn.prepare("THIS IS NOT VALID SQL").unwrap_err();
        assert_eq!(
            super::error_text(&syntax),
            "near \"THIS\": syntax error at offset 0: SQLITE_ERROR"
        );
        let table = conn.prepare("SELECT * FROM nope").unwrap_err();
        assert_eq!(
            super::error_text(&table),
            "no such table: nope: SQLITE_ERROR"
        );
    }
}
