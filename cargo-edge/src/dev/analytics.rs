//! Analytics Engine in dev: each `writeDataPoint` lands as one row of `analytics/<dataset>.sqlite`
//! under the state folder, read back with `cargo edge analytics`. Limits follow Cloudflare's:
//! at most 1 index (96 bytes), 20 blobs (16 KiB in all) and 20 doubles per point.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::http::{internal, text, Call};
use super::store::{lock, now_ms, Durability, Stores};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp INTEGER NOT NULL,
    point TEXT NOT NULL
);";

/// Record the data point in the request body for `dataset`.
pub fn handle(stores: &Stores, dataset: &str, call: &Call) -> Response {
    let point: Value = match serde_json::from_slice(&call.body) {
        Ok(point) => point,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("not a data point: {e}")),
    };
    if let Err(why) = check(&point) {
        eprintln!("warning: Analytics Engine dataset `{dataset}`: data point dropped: {why}");
        return text(StatusCode::BAD_REQUEST, why);
    }
    let db = match stores.open("analytics", dataset, SCHEMA, Durability::Normal) {
        Ok(db) => db,
        Err(e) => return internal(e),
    };
    let row = lock(&db).execute(
        "INSERT INTO points (timestamp, point) VALUES (?1, ?2)",
        rusqlite::params![now_ms(), point.to_string()],
    );
    match row {
        Ok(_) => text(StatusCode::OK, "ok"),
        Err(e) => internal(e),
    }
}

fn check(point: &Value) -> Result<(), String> {
    let list = |key: &str| point[key].as_array().cloned().unwrap_or_default();
    let (indexes, blobs, doubles) = (list("indexes"), list("blobs"), list("doubles"));
    if indexes.len() > 1 {
        return Err(format!("{} indexes, at most 1 is allowed", indexes.len()));
    }
    if indexes
        .iter()
        .filter_map(Value::as_str)
        .any(|i| i.len() > 96)
    {
        return Err("the index is longer than 96 bytes".into());
    }
    if blobs.len() > 20 || doubles.len() > 20 {
        return Err("at most 20 blobs and 20 doubles are allowed".into());
    }
    let blob_bytes: usize = blobs.iter().filter_map(Value::as_str).map(str::len).sum();
    if blob_bytes > 16 * 1024 {
        return Err(format!("the blobs total {blob_bytes} bytes, over 16 KiB"));
    }
    Ok(())
}

/// The points of `dataset` recorded under `state_dir`, oldest first: each
/// `{timestamp, index1, blob1.., double1..}`, the columns Analytics Engine's SQL API names.
pub fn read(state_dir: &std::path::Path, dataset: &str) -> Result<Vec<Value>, String> {
    let path = state_dir
        .join("analytics")
        .join(format!("{}.sqlite", super::store::file_stem(dataset)));
    if !path.exists() {
        return Ok(Vec::new());
    }
    let fail = |e: rusqlite::Error| format!("{}: {e}", path.display());
    // The schema too: a reader can come between the file's creation and its first table.
    let conn =
        super::store::open_file(&path, SCHEMA, Durability::Normal).map_err(|e| e.to_string())?;
    let mut statement = conn
        .prepare("SELECT timestamp, point FROM points ORDER BY id")
        .map_err(fail)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(fail)?;
    let mut out = Vec::new();
    for row in rows {
        let (timestamp, point) = row.map_err(fail)?;
        let point = serde_json::from_str(&point).unwrap_or_default();
        out.push(columns(timestamp, &point));
    }
    Ok(out)
}

fn columns(timestamp: i64, point: &Value) -> Value {
    let mut row = serde_json::Map::new();
    row.insert("timestamp".into(), json!(timestamp));
    let mut put = |prefix: &str, key: &str| {
        for (i, value) in point[key].as_array().into_iter().flatten().enumerate() {
            row.insert(format!("{prefix}{}", i + 1), value.clone());
        }
    };
    put("index", "indexes");
    put("blob", "blobs");
    put("double", "doubles");
    Value::Object(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_over_cloudflares_limits_are_refused() {
        assert!(check(&json!({"indexes": ["a"], "blobs": ["x"], "doubles": [1.0]})).is_ok());
        assert!(check(&json!({"indexes": ["a", "b"]})).is_err());
        assert!(check(&json!({"doubles": vec![1; 21]})).is_err());
        assert!(check(&json!({"blobs": ["x".repeat(17 * 1024)]})).is_err());
    }

    #[test]
    fn columns_are_named_as_in_the_sql_api() {
        let point = json!({"indexes": ["k"], "blobs": ["a", "b"], "doubles": [2.5]});
        assert_eq!(
            columns(5, &point),
            json!({"timestamp": 5, "index1": "k", "blob1": "a", "blob2": "b", "double1": 2.5})
        );
    }
}
