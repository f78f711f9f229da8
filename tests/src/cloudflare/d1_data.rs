//! D1 beyond `query`: `raw` (columns and rows as arrays, in column order) and `export` (a SQL
//! dump, served at a signed URL outside the API that needs no credentials).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Batch, Connection};
use serde::Deserialize;
use serde_json::{json, Value};

use super::d1::{find, to_json};
use super::envelope::{json_body, ok, ApiError, ApiResult, D1_ERROR};
use super::state::{lock, Shared};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    sql: String,
    params: Option<Vec<Value>>,
}

/// `POST …/raw {sql}`: per statement `{results: {columns, rows}, success, meta}`.
pub async fn raw(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: RawRequest = json_body(&headers, &body)?;
    if request.params.as_ref().is_some_and(|p| !p.is_empty()) {
        return Err(ApiError::bad(
            D1_ERROR,
            "the fake's raw endpoint takes no params",
        ));
    }
    let mut state = lock(&shared);
    let db = find(state.account(&account_id)?, &uuid)?;
    let results = run_raw(&db.connection, &request.sql)
        .map_err(|e| ApiError::bad(D1_ERROR, format!("{e}: SQLITE_ERROR")))?;
    ok(json!(results))
}

fn run_raw(connection: &Connection, sql: &str) -> rusqlite::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut batch = Batch::new(connection, sql);
    while let Some(mut statement) = batch.next()? {
        let columns: Vec<String> = statement
            .column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let readonly = statement.readonly();
        let mut rows = statement.query([])?;
        let mut values = Vec::new();
        while let Some(row) = rows.next()? {
            let cells: rusqlite::Result<Vec<Value>> = (0..columns.len())
                .map(|i| Ok(to_json(row.get_ref(i)?)))
                .collect();
            values.push(Value::Array(cells?));
        }
        drop(rows);
        let changes = if readonly { 0 } else { connection.changes() };
        out.push(json!({
            "results": {"columns": columns, "rows": values},
            "success": true,
            "meta": {"changes": changes, "rows_read": values.len(), "rows_written": changes},
        }));
    }
    Ok(out)
}

/// `POST …/export {output_format: "polling", current_bookmark?}`: complete at once, with a
/// signed URL on this server.
pub async fn export(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: Value = json_body(&headers, &body)?;
    if request["output_format"] != "polling" {
        return Err(ApiError::invalid("output_format must be \"polling\""));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let mut state = lock(&shared);
    find(state.account(&account_id)?, &uuid)?;
    let filename = format!("{uuid}.sql");
    ok(json!({
        "success": true, "type": "export", "status": "complete", "at_bookmark": "bookmark-1",
        "result": {"filename": filename, "signed_url": format!("http://{host}/__signed/d1-export/{account_id}/{uuid}")},
    }))
}

/// The signed URL: the dump of every table (schema, then rows as INSERTs).
pub async fn signed_export(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut state = lock(&shared);
    let db = find(state.account(&account_id)?, &uuid)?;
    let dump = dump(&db.connection).map_err(|e| ApiError::bad(D1_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/sql")], dump).into_response())
}

fn dump(connection: &Connection) -> rusqlite::Result<String> {
    let mut out = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
    let mut tables = connection.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")?;
    let tables: Vec<(String, String)> = tables
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, sql) in tables {
        out.push_str(&format!("{sql};\n"));
        let mut rows = connection.prepare(&format!("SELECT * FROM \"{name}\""))?;
        let count = rows.column_count();
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let values: rusqlite::Result<Vec<String>> = (0..count)
                .map(|i| Ok(literal(&to_json(row.get_ref(i)?))))
                .collect();
            out.push_str(&format!(
                "INSERT INTO \"{name}\" VALUES({});\n",
                values?.join(",")
            ));
        }
    }
    Ok(out)
}

fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    }
}
