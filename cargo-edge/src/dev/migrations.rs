//! `cargo edge d1 migrations apply DB` (local state): apply a folder's `NNNN_name.sql` files in order,
//! each once, recording them in a `d1_migrations` table shaped like wrangler's
//! (`id`, `name`, `applied_at`), so a database migrated by either tool is understood by both.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::error::{DevError, Result};

const TABLE: &str = "CREATE TABLE IF NOT EXISTS d1_migrations (\
    id INTEGER PRIMARY KEY AUTOINCREMENT, \
    name TEXT UNIQUE, \
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The file name, e.g. `0001_create_users.sql`: what `d1_migrations.name` records.
    pub name: String,
    pub number: u64,
    pub path: PathBuf,
}

/// The `.sql` files of `dir`, ordered by their number (then name).
pub fn list(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir).map_err(DevError::io(dir))?;
    let mut migrations = Vec::new();
    for entry in entries {
        let path = entry.map_err(DevError::io(dir))?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if !name.ends_with(".sql") {
            continue;
        }
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        let number = digits
            .parse()
            .map_err(|_| DevError::MigrationName(name.clone()))?;
        migrations.push(Migration { name, number, path });
    }
    migrations.sort_by(|a, b| (a.number, &a.name).cmp(&(b.number, &b.name)));
    Ok(migrations)
}

/// The migrations of `dir` not yet recorded in `conn`'s `d1_migrations`.
pub fn pending(conn: &Connection, dir: &Path) -> Result<Vec<Migration>> {
    conn.execute_batch(TABLE)?;
    let mut stmt = conn.prepare("SELECT 1 FROM d1_migrations WHERE name = ?1")?;
    let mut out = Vec::new();
    for migration in list(dir)? {
        if !stmt.exists([&migration.name])? {
            out.push(migration);
        }
    }
    Ok(out)
}

/// Apply every pending migration of `dir`, each in its own transaction together with its record;
/// stops at the first failure (earlier ones stay applied). Returns the names applied.
pub fn apply(conn: &mut Connection, dir: &Path) -> Result<Vec<String>> {
    let mut applied = Vec::new();
    for migration in pending(conn, dir)? {
        let sql =
            std::fs::read_to_string(&migration.path).map_err(DevError::io(&migration.path))?;
        let failed = |source| DevError::Migration {
            name: migration.name.clone(),
            source,
        };
        let tx = conn.transaction().map_err(failed)?;
        tx.execute_batch(&sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO d1_migrations (name) VALUES (?1)",
            [&migration.name],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        applied.push(migration.name);
    }
    Ok(applied)
}

/// `cargo edge d1 migrations apply DB` (local state): apply `dir`'s pending migrations to the local
/// file of database `name` under `state_dir` (the file the dev server serves).
pub fn apply_local(state_dir: &Path, name: &str, dir: &Path) -> Result<Vec<String>> {
    let mut conn = super::d1::open_database(state_dir, name)?;
    apply(&mut conn, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_order_once_and_rolls_back_a_failed_file() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, sql: &str| std::fs::write(dir.path().join(name), sql).unwrap();
        write("0002_add.sql", "INSERT INTO users (name) VALUES ('ada');");
        write(
            "0001_create.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        );
        write("notes.txt", "ignored");
        let mut conn = Connection::open_in_memory().unwrap();
        let applied = apply(&mut conn, dir.path()).unwrap();
        assert_eq!(applied, ["0001_create.sql", "0002_add.sql"]);
        assert!(apply(&mut conn, dir.path()).unwrap().is_empty());
        write(
            "0003_bad.sql",
            "INSERT INTO users (name) VALUES ('x'); INSERT INTO nope VALUES (1);",
        );
        assert!(matches!(
            apply(&mut conn, dir.path()),
            Err(DevError::Migration { .. })
        ));
        let users: i64 = conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            users, 1,
            "the failed migration's first insert was rolled back"
        );
        assert_eq!(pending(&conn, dir.path()).unwrap().len(), 1);
    }
}
