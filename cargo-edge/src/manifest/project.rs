//! A workspace: every member with a `[package.metadata.edge]` table, resolved in one
//! environment, plus the checks that need all of them (queues nobody produces to) and service
//! and Durable Object references to sibling workers, renamed to their environment's script name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::document::Document;
use super::error::{ManifestError, Problem};
use super::load::{load_package, read_document, sort_problems, LoadOptions, Outcome};
use super::workspace::member_manifests;
use crate::model::{Project, Service};

/// Every worker of a workspace that resolved, with the warnings found on the way.
#[derive(Debug)]
pub struct LoadedProject {
    pub project: Project,
    pub warnings: Vec<Problem>,
}

/// Loads every worker of the workspace at `workspace_root` (members with an edge table).
/// Messages name files relative to the current directory.
pub fn load_project(
    workspace_root: &Path,
    env: Option<&str>,
) -> Result<LoadedProject, ManifestError> {
    load_project_with(workspace_root, &LoadOptions::env(env))
}

/// [`load_project`] with every option.
pub fn load_project_with(
    workspace_root: &Path,
    options: &LoadOptions,
) -> Result<LoadedProject, ManifestError> {
    let (display_root, env, today) = (
        options.display_root(),
        options.env.as_deref(),
        options.today(),
    );
    let root_doc = read_document(&workspace_root.join("Cargo.toml"), &display_root)?;
    let ws = root_doc.is_workspace_root().then_some(&root_doc);
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for manifest in member_manifests(&root_doc, workspace_root) {
        let member = match read_member(&manifest, &root_doc, &display_root) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(e) => {
                problems.extend(e.problems);
                continue;
            }
        };
        let doc = member.as_ref().unwrap_or(&root_doc);
        outcomes.push(load_package(doc, ws, env, today));
    }
    check_queues(&outcomes, &mut problems);
    finish(workspace_root, env, outcomes, problems)
}

/// The member's document (`Some(None)` for the root itself), or `None` when it has no edge table.
fn read_member(
    manifest: &Path,
    root: &Document,
    display_root: &Path,
) -> Result<Option<Option<Document>>, ManifestError> {
    let is_root = manifest == root.source.path;
    let doc = if is_root {
        None
    } else {
        Some(read_document(manifest, display_root)?)
    };
    let has_table = doc
        .as_ref()
        .unwrap_or(root)
        .table_at(&["package", "metadata", "edge"])
        .is_some();
    Ok(has_table.then_some(doc))
}

/// A consumer of a queue that no worker of the workspace produces to (nor dead-letters to).
fn check_queues(outcomes: &[Outcome], out: &mut Vec<Problem>) {
    let tables = || outcomes.iter().map(|o| &o.table);
    let mut produced: BTreeSet<&str> = BTreeSet::new();
    for table in tables() {
        produced.extend(
            table
                .producers
                .values()
                .filter_map(|p| Some(p.value.queue.as_ref()?.value.as_str())),
        );
        produced.extend(
            table
                .consumers
                .values()
                .filter_map(|c| Some(c.value.dead_letter_queue.as_ref()?.value.as_str())),
        );
    }
    for (queue, consumer) in tables().flat_map(|t| &t.consumers) {
        if produced.contains(queue.as_str()) {
            continue;
        }
        out.push(
            Problem::warning("queue_without_producer", &consumer.loc, format!("queue `{queue}` is consumed here, but no worker in this workspace produces to it"))
                .label("no producer for this queue")
                .help(format!("bind a producer in the worker that sends to it:\n\n    [package.metadata.edge.queues.producers]\n    JOBS = {{ queue = \"{queue}\" }}\n\nor ignore this if something outside the workspace sends to `{queue}`")),
        );
    }
}

fn finish(
    root: &Path,
    env: Option<&str>,
    outcomes: Vec<Outcome>,
    mut problems: Vec<Problem>,
) -> Result<LoadedProject, ManifestError> {
    let mut workers = Vec::new();
    let mut base_names = BTreeMap::new();
    for outcome in outcomes {
        problems.extend(outcome.problems);
        if let Some(worker) = outcome.worker {
            base_names.insert(outcome.base_name, worker.name.clone());
            workers.push(worker);
        }
    }
    sort_problems(&mut problems);
    if problems.iter().any(Problem::is_error) {
        return Err(ManifestError { problems });
    }
    for worker in &mut workers {
        rename_siblings(worker, &base_names);
    }
    workers.sort_by(|a, b| a.package.cmp(&b.package));
    let workspace_root = std::path::absolute(root).unwrap_or_else(|_| PathBuf::from(root));
    let project = Project {
        workspace_root,
        env: env.map(str::to_string),
        workers,
    };
    Ok(LoadedProject {
        project,
        warnings: problems,
    })
}

/// In an environment, `worker = "auth"` names the sibling's script in that environment
/// (`auth-prod`), so prod binds prod; so do a dispatch namespace's `local_workers` and its
/// `outbound` worker.
fn rename_siblings(worker: &mut crate::model::Worker, names: &BTreeMap<String, String>) {
    for service in worker.services.values_mut() {
        if let Service::Worker { worker: target, .. } = service {
            if let Some(resolved) = names.get(target.as_str()) {
                *target = resolved.clone();
            }
        }
    }
    for object in worker.durable_objects.values_mut() {
        if let Some(target) = object.worker.as_mut() {
            if let Some(resolved) = names.get(target.as_str()) {
                *target = resolved.clone();
            }
        }
    }
    let namespaces = worker.kind_bindings.values_mut();
    let local = namespaces.filter_map(|b| b.fields.get_mut("local_workers")?.as_array_mut());
    for target in local.flatten() {
        if let Some(resolved) = target.as_str().and_then(|t| names.get(t)) {
            *target = serde_json::Value::String(resolved.clone());
        }
    }
    let namespaces = worker.kind_bindings.values_mut();
    for outbound in namespaces.filter_map(|b| b.fields.get_mut("outbound")) {
        if let Some(resolved) = outbound.as_str().and_then(|t| names.get(t)) {
            *outbound = serde_json::Value::String(resolved.clone());
        }
    }
}
