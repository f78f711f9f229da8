//! Checks only Cloudflare's deploy enforces. `build` and `dev` run a worker without them (as
//! workerd does) and print them as warnings; `cargo edge deploy` turns those warnings into
//! errors before it sends anything, since Cloudflare would refuse the upload.

use super::error::{ManifestError, Problem};

/// Warning codes that stop a deploy: a bound Durable Object class no migration creates, a
/// missing `compatibility_date`, a queue name Cloudflare's API refuses, a KV namespace id
/// that is not one (a placeholder), and an empty Hyperdrive id.
pub const DEPLOY_ONLY: &[&str] = &[
    "durable_object_migration",
    "missing_compatibility_date",
    "queue_name",
    "kv_id",
    "hyperdrive_id",
];

/// The deploy-only warnings among `warnings`, as errors; `Ok` when there are none.
pub fn refuse_deploy(warnings: &[Problem]) -> Result<(), ManifestError> {
    let problems: Vec<Problem> = warnings
        .iter()
        .filter(|w| DEPLOY_ONLY.contains(&w.code))
        .map(|w| Problem {
            severity: miette::Severity::Error,
            ..w.clone()
        })
        .collect();
    match problems.is_empty() {
        true => Ok(()),
        false => Err(ManifestError { problems }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deploy_only_warnings_become_errors() {
        let warnings = vec![
            Problem::unplaced("missing_compatibility_date", "no date"),
            Problem::unplaced("unknown_key", "typo"),
        ];
        let error = refuse_deploy(&warnings).unwrap_err();
        assert_eq!(error.problems.len(), 1);
        assert!(error.problems[0].is_error());
        assert!(refuse_deploy(&warnings[1..]).is_ok());
    }
}
