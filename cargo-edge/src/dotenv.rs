//! `.dev.vars` / secrets files: `NAME=value` lines, `#` comments, optional quotes.

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: expected `NAME=value`, found `{found}`")]
pub struct DotenvError {
    pub path: String,
    pub line: usize,
    pub found: String,
}

/// Parse the text of a dotenv file. Values are never included in errors.
pub fn parse(text: &str, path: &Path) -> Result<BTreeMap<String, String>, DotenvError> {
    let mut values = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            let found: String = line.chars().take(20).collect();
            return Err(DotenvError {
                path: path.display().to_string(),
                line: index + 1,
                found,
            });
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(DotenvError {
                path: path.display().to_string(),
                line: index + 1,
                found: name.to_string(),
            });
        }
        values.insert(name.to_string(), unquote(value.trim()));
    }
    Ok(values)
}

fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            let inner = &value[1..value.len() - 1];
            return if quote == '"' {
                inner.replace("\\n", "\n").replace("\\\"", "\"")
            } else {
                inner.to_string()
            };
        }
    }
    value.to_string()
}

/// Read a dotenv file; a missing file is an empty one.
pub fn read(path: &Path) -> Result<BTreeMap<String, String>, DotenvError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(_) => Ok(BTreeMap::new()),
    }
}

/// wrangler binds every `.dev.vars` entry, declared or not, and an entry wins over a `[vars]`
/// value of the same name. Do the same for a local run: the names `worker` does not declare in
/// `secrets` join them (in this in-memory copy only; deploy still checks the declared list) and
/// leave `vars`. Returns the names that were not declared, so the caller can say so once.
pub fn bind_all(
    worker: &mut crate::model::Worker,
    values: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut undeclared = Vec::new();
    for name in values.keys() {
        worker.vars.remove(name);
        if !worker.secrets.contains(name) {
            worker.secrets.push(name.clone());
            undeclared.push(name.clone());
        }
    }
    undeclared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_bound_and_wins_over_a_var() {
        let mut worker = crate::model::Worker::minimal("w", "w", "Cargo.toml".into(), "2026-11-01");
        worker.secrets = vec!["API_KEY".into()];
        worker
            .vars
            .insert("MODE".into(), crate::model::Var::Text("from vars".into()));
        let values = parse("API_KEY=a\nMODE=b\nEXTRA=c\n", Path::new(".dev.vars")).unwrap();
        let undeclared = bind_all(&mut worker, &values);
        assert_eq!(undeclared, ["EXTRA", "MODE"]);
        assert_eq!(worker.secrets, ["API_KEY", "EXTRA", "MODE"]);
        assert!(worker.vars.is_empty());
    }

    #[test]
    fn names_values_comments_and_quotes() {
        let text = "# secrets\nAPI_KEY=abc=def\nexport TOKEN = \"two\\nlines\"\nSINGLE='it''s'\n\n";
        let values = parse(text, Path::new(".dev.vars")).unwrap();
        assert_eq!(values["API_KEY"], "abc=def");
        assert_eq!(values["TOKEN"], "two\nlines");
        assert_eq!(values["SINGLE"], "it''s");
    }

    #[test]
    fn a_bad_line_names_the_file_and_line_but_not_the_value() {
        let error = parse("OK=1\nnot a pair s3cret\n", Path::new(".dev.vars")).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.to_string().starts_with(".dev.vars:2:"));
    }
}
