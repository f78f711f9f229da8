//! `cargo edge d1 export` on local state: the database as SQL in the shape Cloudflare's export
//! (and Miniflare's local one) writes, so a local dump imports where a Cloudflare one does:
//! `PRAGMA defer_foreign_keys=TRUE;`, each table's schema then its rows as
//! `INSERT INTO "t" ("a","b") VALUES(…);`, then indexes, triggers and views. SQLite's and
//! Cloudflare's own tables (`sqlite_…`, `_cf_…`) are left out, `sqlite_sequence` is restored.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// The whole database as SQL statements, one per line; an error names what cannot be exported.
pub fn dump(conn: &Connection) -> Result<String, String> {
    let fail = |e: rusqlite::Error| e.to_string();
    let mut out = vec!["PRAGMA defer_foreign_keys=TRUE;".to_string()];
    let tables: Vec<(String, String)> = rows(
        conn,
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL \
         ORDER BY name = 'sqlite_sequence', rowid",
    )
    .map_err(fail)?;
    for (name, sql) in tables {
        if name == "sqlite_sequence" {
            out.push("DELETE FROM sqlite_sequence;".into());
        } else if name.starts_with("sqlite_stat") {
            out.push("ANALYZE sqlite_schema;".into());
        } else if sql.starts_with("CREATE VIRTUAL TABLE") {
            return Err(format!(
                "table `{name}` is a virtual table (such as fts5), which D1's export cannot write"
            ));
        } else if name.starts_with("_cf_") || name.starts_with("sqlite_") {
            continue;
        } else if sql.starts_with("CREATE TABLE \"") || sql.starts_with("CREATE TABLE '") {
            // SQLite's `.dump` (which D1 follows) writes a quoted name's table IF NOT EXISTS.
            out.push(format!("CREATE TABLE IF NOT EXISTS {};", &sql[13..]));
        } else {
            out.push(format!("{sql};"));
        }
        inserts(conn, &name, &mut out).map_err(fail)?;
    }
    let rest: Vec<(String, String)> = rows(
        conn,
        "SELECT name, sql FROM sqlite_schema WHERE sql NOT NULL \
         AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE",
    )
    .map_err(fail)?;
    out.extend(rest.into_iter().map(|(_, sql)| format!("{sql};")));
    Ok(out.join("\n") + "\n")
}

fn rows(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut statement = conn.prepare(sql)?;
    let found = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    found.collect()
}

/// One `INSERT` per row of `table`, its columns named.
fn inserts(conn: &Connection, table: &str, out: &mut Vec<String>) -> rusqlite::Result<()> {
    let mut columns = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let columns: Vec<String> = columns
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let names: Vec<String> = columns.iter().map(|c| quote_id(c)).collect();
    let select = format!("SELECT {} FROM {}", names.join(", "), quote_id(table));
    let mut statement = conn.prepare(&select)?;
    let mut found = statement.query([])?;
    while let Some(row) = found.next()? {
        let cells = (0..columns.len())
            .map(|i| row.get_ref(i).map(literal))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(format!(
            "INSERT INTO {} ({}) VALUES({});",
            quote_id(table),
            names.join(","),
            cells.join(",")
        ));
    }
    Ok(())
}

fn quote_id(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A value as an SQL literal; text with newlines is rebuilt with `char()`, as SQLite's dump does.
fn literal(value: ValueRef) -> String {
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        // SQLite stores infinities and writes them as an overflowing literal.
        ValueRef::Real(f) if f.is_infinite() => if f > 0.0 { "1e999" } else { "-1e999" }.into(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(bytes) => text_literal(&String::from_utf8_lossy(bytes)),
        ValueRef::Blob(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("X'{hex}'")
        }
    }
}

fn text_literal(text: &str) -> String {
    let escaped = text
        .replace('\'', "''")
        .replace('\n', "\\n")
        .replace('\r', "\\r");
    let mut literal = format!("'{escaped}'");
    if text.contains('\r') {
        literal = format!("replace({literal},'\\r',char(13))");
    }
    if text.contains('\n') {
        literal = format!("replace({literal},'\\n',char(10))");
    }
    literal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dump, run into an empty database, gives the same rows back.
    #[test]
    fn a_dump_restores_schema_rows_and_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, score REAL, raw BLOB);
             CREATE INDEX by_body ON notes (body);
             CREATE TABLE \"odd name\" (\"a\"\"b\" TEXT);
             CREATE TABLE _cf_KV (key TEXT);
             INSERT INTO notes (body, score, raw) VALUES ('it''s', 1.5, X'00ff'), ('two\nlines', NULL, NULL);
             INSERT INTO \"odd name\" VALUES ('x');",
        )
        .unwrap();
        let sql = dump(&conn).unwrap();
        assert!(
            sql.starts_with("PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE notes"),
            "{sql}"
        );
        assert!(
            sql.contains("INSERT INTO \"notes\" (\"id\",\"body\",\"score\",\"raw\") VALUES(1,'it''s',1.5,X'00ff');"),
            "{sql}"
        );
        assert!(
            sql.contains("CREATE TABLE IF NOT EXISTS \"odd name\""),
            "{sql}"
        );
        assert!(!sql.contains("_cf_KV"), "{sql}");
        assert!(
            sql.trim_end()
                .ends_with("CREATE INDEX by_body ON notes (body);"),
            "{sql}"
        );

        let restored = Connection::open_in_memory().unwrap();
        restored.execute_batch(&sql).unwrap();
        let bodies: Vec<String> = restored
            .prepare("SELECT body FROM notes ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(bodies, ["it's", "two\nlines"]);
        let next: i64 = restored
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'notes'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(next, 2);
    }

    #[test]
    fn a_virtual_table_is_refused_by_name() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE search USING fts5(body);")
            .unwrap();
        let error = dump(&conn).unwrap_err();
        assert!(error.contains("`search` is a virtual table"), "{error}");
    }
}
