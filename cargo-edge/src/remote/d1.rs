//! `cargo edge d1 execute DB --command SQL | --file F` (a table, or JSON), `d1 export DB -o FILE`
//! and `d1 migrations list|create` against the account's database.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;

/// One statement's answer: column names in order, and rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// D1's `meta` (rows read/written, duration, …).
    pub meta: Value,
}

/// `POST …/raw {sql}`: columns in their order (the `query` endpoint's objects lose it).
pub fn execute(
    client: &Client,
    account: &str,
    uuid: &str,
    sql: &str,
) -> Result<Vec<Statement>, DeployError> {
    let result = client.call(
        Method::POST,
        &format!("/accounts/{account}/d1/database/{uuid}/raw"),
        Body::Json(&json!({"sql": sql})),
    )?;
    Ok(statements(&result))
}

/// The statements of a `raw` result (Cloudflare's, or local state's in the same shape).
pub fn statements(result: &Value) -> Vec<Statement> {
    result
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Statement {
            columns: strings(&s["results"]["columns"]),
            rows: s["results"]["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r.as_array().cloned().unwrap_or_default())
                .collect(),
            meta: s["meta"].clone(),
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A statement's rows as a table with a header and a rule, columns as wide as their widest cell.
pub fn table(statement: &Statement) -> String {
    let cell = |v: &Value| match v {
        Value::Null => "NULL".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let cells: Vec<Vec<String>> = statement
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let widths: Vec<usize> = statement
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r.get(i).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
                .max(c.chars().count())
        })
        .collect();
    let line = |values: &[String]| {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join(" │ ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&statement.columns)];
    out.push(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("─┼─"),
    );
    out.extend(cells.iter().map(|r| line(r)));
    out.join("\n")
}

/// `POST …/export {output_format: "polling"}` until it completes, then the dump from its
/// signed URL, streamed into `out`; the bytes written.
pub fn export(client: &Client, account: &str, uuid: &str, out: &Path) -> Result<u64, DeployError> {
    let path = format!("/accounts/{account}/d1/database/{uuid}/export");
    let mut body = json!({"output_format": "polling"});
    for _ in 0..120 {
        let result = client.call(Method::POST, &path, Body::Json(&body))?;
        match result["status"].as_str() {
            Some("complete") => {
                let url =
                    result["result"]["signed_url"]
                        .as_str()
                        .ok_or_else(|| DeployError::Decode {
                            path: path.clone(),
                            message: "a complete export without a signed_url".into(),
                        })?;
                return download(url, out);
            }
            Some("error") => {
                return Err(DeployError::Rollout {
                    message: format!(
                        "the export failed: {}",
                        result["error"].as_str().unwrap_or("no reason given")
                    ),
                    help:
                        "retry; a database over D1's export limits must be exported table by table"
                            .into(),
                })
            }
            _ => {
                body["current_bookmark"] = result["at_bookmark"].clone();
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        }
    }
    Err(DeployError::Rollout {
        message: "the export did not complete in 30 seconds".into(),
        help: "retry later".into(),
    })
}

/// The signed URL is not the API: a plain GET without credentials.
fn download(url: &str, out: &Path) -> Result<u64, DeployError> {
    let io = |e: std::io::Error| DeployError::Io {
        path: out.display().to_string(),
        message: e.to_string(),
    };
    let mut response = reqwest::blocking::get(url)
        .and_then(|r| r.error_for_status())
        .map_err(|e| DeployError::Unreachable {
            method: "GET".into(),
            path: "(signed export URL)".into(),
            message: e.without_url().to_string(),
        })?;
    let mut file = std::fs::File::create(out).map_err(io)?;
    std::io::copy(&mut response, &mut file).map_err(io)
}

/// A migration file and whether the database has applied it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

/// The names in the remote `d1_migrations` table (none when it does not exist yet).
pub fn applied_remote(
    client: &Client,
    account: &str,
    uuid: &str,
) -> Result<Vec<String>, DeployError> {
    let exists = execute(
        client,
        account,
        uuid,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'",
    )?;
    if exists.first().is_none_or(|s| s.rows.is_empty()) {
        return Ok(Vec::new());
    }
    let rows = execute(
        client,
        account,
        uuid,
        "SELECT name FROM d1_migrations ORDER BY id",
    )?;
    Ok(rows
        .iter()
        .flat_map(|s| &s.rows)
        .filter_map(|r| r.first()?.as_str().map(str::to_string))
        .collect())
}

/// Every file of the folder with its state.
pub fn states(
    files: &[crate::dev::migrations::Migration],
    applied: &[String],
) -> Vec<MigrationState> {
    files
        .iter()
        .map(|m| MigrationState {
            name: m.name.clone(),
            applied: applied.contains(&m.name),
        })
        .collect()
}

/// `d1 migrations create DB NAME`: `NNNN_name.sql`, numbered after the highest in `dir`.
pub fn create_migration(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let slug = slug.trim_matches('_');
    if slug.is_empty() {
        return Err(format!(
            "`{name}` has no letters or digits to name a file with"
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    let next = match crate::dev::migrations::list(dir) {
        Ok(files) => files.last().map_or(1, |m| m.number + 1),
        Err(e) => return Err(e.to_string()),
    };
    let path = dir.join(format!("{next:04}_{slug}.sql"));
    let header = format!("-- Migration number: {next:04}\t{name}\n");
    std::fs::write(&path, header)
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_show_null() {
        let statement = Statement {
            columns: vec!["id".into(), "body".into()],
            rows: vec![vec![json!(1), json!("hello")], vec![json!(22), Value::Null]],
            meta: Value::Null,
        };
        assert_eq!(
            table(&statement),
            "id │ body\n───┼──────\n1  │ hello\n22 │ NULL"
        );
    }

    #[test]
    fn migrations_are_numbered_after_the_last() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            create_migration(dir.path(), "Create users")
                .unwrap()
                .file_name()
                .unwrap(),
            "0001_create_users.sql"
        );
        std::fs::write(dir.path().join("0007_x.sql"), "").unwrap();
        assert_eq!(
            create_migration(dir.path(), "add-index")
                .unwrap()
                .file_name()
                .unwrap(),
            "0008_add_index.sql"
        );
        assert!(create_migration(dir.path(), "--").is_err());
    }
}
