//! Service bindings to workers the workspace does not have (a worker deployed from another
//! repository, say). `wrangler dev` starts anyway and such a binding answers 503 with
//! `Worker "NAME" not found. Make sure it is running locally.` (Miniflare's dev-registry text);
//! `cargo edge dev` does the same with a stand-in worker per missing name, instead of refusing
//! to start a project whose every other route works.

use std::collections::BTreeSet;
use std::path::Path;

use crate::bundle::{Bundle, BundleSource, ModuleSource, ModuleType};
use crate::model::{Service, Worker};

/// The workers that `workers`' service bindings name and that are not among them, sorted.
pub fn missing_services(workers: &[Worker]) -> BTreeSet<String> {
    let known = |name: &str| workers.iter().any(|w| w.name == name);
    workers
        .iter()
        .flat_map(|w| w.services.values())
        .filter_map(|service| match service {
            Service::Worker { worker, .. } if !known(worker) => Some(worker.clone()),
            _ => None,
        })
        .collect()
}

/// What a call through a binding to the absent worker `name` answers (status 503).
pub fn message(name: &str) -> String {
    format!(
        "Worker \"{name}\" not found. Make sure it is running locally. (cargo edge dev runs the \
         workers of this workspace: add the crate of `{name}` to it to run it here.)"
    )
}

/// What `cargo edge dev` warns (and `edge-test` logs) once per absent name.
pub fn warning(name: &str) -> String {
    format!(
        "a service binding names `{name}`, which is not a worker of this workspace: locally its \
         calls answer 503 (as in wrangler dev); add its crate to the workspace to run it here"
    )
}

/// A stand-in for each worker that `workers`' service bindings name and that is not among
/// them (with the first worker's compatibility date), each written under `dir/<name>`.
pub fn stand_ins(workers: &[Worker], dir: &Path) -> crate::error::Result<Vec<(Worker, Bundle)>> {
    let date = workers
        .first()
        .map(|w| w.compatibility_date.as_str())
        .unwrap_or_default();
    missing_services(workers)
        .iter()
        .map(|name| stand_in(name, date, &dir.join(name)))
        .collect()
}

/// The stand-in for `name`: a worker with no bindings whose every request (and RPC call) is the
/// 503 of [`message`], its module written under `dir`.
pub fn stand_in(
    name: &str,
    compatibility_date: &str,
    dir: &Path,
) -> crate::error::Result<(Worker, Bundle)> {
    let worker = Worker::minimal(name, name, dir.join("Cargo.toml"), compatibility_date);
    let script = format!(
        "const message = {};\n\
         export default {{\n  fetch() {{\n    return new Response(message, {{ status: 503 }});\n  }},\n}};\n",
        serde_json::to_string(&message(name)).unwrap_or_default()
    );
    let bundle = BundleSource {
        worker: name.to_string(),
        wasm_bindgen: String::new(),
        profile: "stand-in".into(),
        exports: Default::default(),
        modules: vec![ModuleSource {
            name: "stand-in.mjs".into(),
            kind: ModuleType::Esm,
            bytes: script.into_bytes(),
        }],
    }
    .write(dir)?;
    Ok((worker, bundle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_outside_the_workers_are_missing() {
        let mut api = Worker::minimal("api", "api", "api/Cargo.toml".into(), "2026-11-01");
        let auth = Worker::minimal("auth", "auth", "auth/Cargo.toml".into(), "2026-11-01");
        for (binding, target) in [("AUTH", "auth"), ("BILLING", "billing"), ("B2", "billing")] {
            api.services.insert(
                binding.into(),
                Service::Worker {
                    worker: target.into(),
                    entrypoint: None,
                },
            );
        }
        let missing = missing_services(&[api, auth]);
        assert_eq!(missing.into_iter().collect::<Vec<_>>(), ["billing"]);
    }

    #[test]
    fn one_stand_in_per_missing_name_each_in_its_folder() {
        let mut api = Worker::minimal("api", "api", "api/Cargo.toml".into(), "2026-11-01");
        for (binding, target) in [("BILLING", "billing"), ("B2", "billing"), ("MAIL", "mail")] {
            api.services.insert(
                binding.into(),
                Service::Worker {
                    worker: target.into(),
                    entrypoint: None,
                },
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let made = stand_ins(&[api], dir.path()).unwrap();
        let names: Vec<&str> = made.iter().map(|(w, _)| w.name.as_str()).collect();
        assert_eq!(names, ["billing", "mail"]);
        for (worker, bundle) in &made {
            assert_eq!(worker.compatibility_date, "2026-11-01");
            let module = dir.path().join(&worker.name).join(&bundle.main_module);
            assert!(module.is_file(), "{}", module.display());
        }
        assert!(stand_ins(&[], dir.path()).unwrap().is_empty());
    }

    #[test]
    fn the_stand_in_answers_with_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let (worker, bundle) = stand_in("billing", "2026-11-01", dir.path()).unwrap();
        assert_eq!(worker.name, "billing");
        let script = std::fs::read_to_string(dir.path().join(&bundle.main_module)).unwrap();
        assert!(
            script.contains(r#"Worker \"billing\" not found"#),
            "{script}"
        );
        assert!(script.contains("status: 503"), "{script}");
    }
}
