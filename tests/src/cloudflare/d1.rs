//! D1 databases, each a real in-memory SQLite, so remote migrations can be run and checked.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Batch, Connection};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::envelope::{json_body, ok, paged, ApiError, ApiResult, D1_ERROR, D1_EXISTS};
use super::state::{lock, now, Account, D1Database, Shared};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDatabase {
    name: String,
    primary_location_hint: Option<String>,
}

fn database_json(db: &D1Database) -> Value {
    json!({
        "uuid": db.uuid,
        "name": db.name,
        "created_at": db.created_at,
        "version": "production",
        "num_tables": 0,
        "file_size": 0,
    })
}

/// `POST /accounts/{a}/d1/database {name}`: 7502 when the name is taken.
pub async fn create(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: NewDatabase = json_body(&headers, &body)?;
    let _ = request.primary_location_hint;
    if request.name.trim().is_empty() {
        return Err(ApiError::invalid("a database needs a name"));
    }
    let mut state = lock(&shared);
    let uuid = state.uuid("d1");
    let account = state.account(&account_id)?;
    if account.d1.iter().any(|d| d.name == request.name) {
        return Err(ApiError::bad(
            D1_EXISTS,
            "A database with that name already exists",
        ));
    }
    let connection =
        Connection::open_in_memory().map_err(|e| ApiError::new(500, D1_ERROR, e.to_string()))?;
    let db = D1Database {
        uuid,
        name: request.name,
        created_at: now(),
        connection,
    };
    let answer = database_json(&db);
    account.d1.push(db);
    ok(answer)
}

/// `GET /accounts/{a}/d1/database[?name=]`: paginated.
pub async fn list(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let items = account
        .d1
        .iter()
        .filter(|d| query.get("name").is_none_or(|n| *n == d.name))
        .map(database_json)
        .collect();
    paged(items, &query, 100, 10_000)
}

pub(super) fn find<'a>(
    account: &'a mut Account,
    uuid: &str,
) -> Result<&'a mut D1Database, ApiError> {
    account
        .d1
        .iter_mut()
        .find(|d| d.uuid == uuid)
        .ok_or_else(|| ApiError::not_found(7404, format!("The database {uuid} could not be found")))
}

/// `GET /accounts/{a}/d1/database/{uuid}`.
pub async fn get(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let db = find(state.account(&account_id)?, &uuid)?;
    ok(database_json(db))
}

/// `DELETE /accounts/{a}/d1/database/{uuid}`: the database and its data.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    find(account, &uuid)?;
    account.d1.retain(|d| d.uuid != uuid);
    ok(Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryRequest {
    sql: String,
    params: Option<Vec<Value>>,
}

/// `POST /accounts/{a}/d1/database/{uuid}/query {sql, params?}`: one result per statement.
pub async fn query(
    State(shared): State<Shared>,
    Path((account_id, uuid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: QueryRequest = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let db = find(state.account(&account_id)?, &uuid)?;
    let params: Vec<Sql> = request
        .params
        .unwrap_or_default()
        .iter()
        .map(to_sql)
        .collect();
    let results = run(&db.connection, &request.sql, &params)
        .map_err(|e| ApiError::bad(D1_ERROR, format!("{e}: SQLITE_ERROR")))?;
    ok(json!(results))
}

/// Run every statement of `sql`; `params` bind to the statements that take parameters.
fn run(connection: &Connection, sql: &str, params: &[Sql]) -> rusqlite::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut batch = Batch::new(connection, sql);
    while let Some(mut statement) = batch.next()? {
        let started = Instant::now();
        let names: Vec<String> = statement
            .column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let readonly = statement.readonly();
        let wanted = statement.parameter_count();
        let bound = &params[..wanted.min(params.len())];
        let mut rows = statement.query(rusqlite::params_from_iter(bound.iter()))?;
        let mut results = Vec::new();
        while let Some(row) = rows.next()? {
            let mut object = Map::new();
            for (i, name) in names.iter().enumerate() {
                object.insert(name.clone(), to_json(row.get_ref(i)?));
            }
            results.push(Value::Object(object));
        }
        drop(rows);
        let changes = if readonly { 0 } else { connection.changes() };
        out.push(json!({
            "results": results,
            "success": true,
            "meta": {
                "changed_db": changes > 0,
                "changes": changes,
                "last_row_id": connection.last_insert_rowid(),
                "rows_read": results.len(),
                "rows_written": changes,
                "duration": started.elapsed().as_secs_f64() * 1000.0,
                "size_after": 0,
            },
        }));
    }
    Ok(out)
}

fn to_sql(value: &Value) -> Sql {
    match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0)), Sql::Integer),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

pub(super) fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(r) => json!(r),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!(b),
    }
}
