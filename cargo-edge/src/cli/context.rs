//! What most commands start with: find the crate, load its worker in the environment asked
//! for (printing the manifest's warnings), and build bundles.

use std::path::{Path, PathBuf};

use super::failure::{plain, Failure};
use super::flags::{CargoArgs, OutputArgs, WorkerArgs};
use crate::build::{self, BuildOptions, CargoOptions, ProfileChoice};
use crate::manifest::{self, Problem};
use crate::model::{Project, Service, Worker};
use crate::render::capnp::{self, CapnpOptions};
use crate::report::{Built, Reporter};

/// The Cargo.toml cargo would read first (the one given, else the nearest above the current
/// folder), parsed before cargo is asked: a TOML mistake such as a table written in two styles
/// is explained with both places instead of cargo's bare "duplicate key".
pub fn check_toml(manifest: Option<&Path>) -> Result<(), Failure> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = match manifest {
        Some(path) => Some(path.to_path_buf()),
        None => cwd
            .ancestors()
            .map(|dir| dir.join("Cargo.toml"))
            .find(|path| path.is_file()),
    };
    match path.filter(|path| path.is_file()) {
        Some(path) => manifest::load::read_document(&path, &cwd)
            .map(drop)
            .map_err(Failure::from),
        None => Ok(()),
    }
}

/// The Cargo.toml of the package the arguments select.
pub fn manifest_path(manifest: Option<&Path>, package: Option<&str>) -> Result<PathBuf, Failure> {
    check_toml(manifest)?;
    if package.is_none() {
        if let Some(path) = manifest.filter(|path| !is_virtual(path)) {
            return Ok(path.to_path_buf());
        }
    }
    let mut command = cargo_metadata::MetadataCommand::new();
    command.no_deps();
    if let Some(path) = manifest {
        command.manifest_path(path);
    }
    let metadata = command.exec().map_err(|e| {
        plain(
            format!("cargo metadata failed: {e}"),
            "run it in a Cargo project, or pass --manifest-path",
        )
    })?;
    let members = metadata.workspace_packages();
    let chosen = match package {
        Some(name) => members.iter().find(|p| p.name.as_str() == name).copied(),
        None => metadata.root_package().or_else(|| {
            // A virtual workspace: its one worker, or the one worker among cargo's
            // `default-members`.
            only_worker(&members).or_else(|| {
                let defaults = metadata.workspace_default_packages();
                (defaults.len() < members.len())
                    .then(|| only_worker(&defaults))
                    .flatten()
            })
        }),
    };
    chosen
        .map(|p| p.manifest_path.clone().into_std_path_buf())
        .ok_or_else(|| {
            let names: Vec<String> = members.iter().map(|p| p.name.to_string()).collect();
            plain(
                "choose the worker package",
                format!("pass -p with one of: {}", names.join(", ")),
            )
        })
}

/// The one package with a `[package.metadata.edge]` table among `packages`, if exactly one has.
fn only_worker<'a>(
    packages: &[&'a cargo_metadata::Package],
) -> Option<&'a cargo_metadata::Package> {
    let mut workers = packages.iter().filter(|p| p.metadata.get("edge").is_some());
    match (workers.next(), workers.next()) {
        (Some(worker), None) => Some(*worker),
        _ => None,
    }
}

/// Whether the Cargo.toml at `path` is a workspace without a package of its own (an unreadable
/// file is not: the manifest loader reports it).
pub fn is_virtual(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml_edit::DocumentMut>().ok())
        .is_some_and(|doc| doc.contains_key("workspace") && !doc.contains_key("package"))
}

/// The reporter the output flags ask for.
pub fn reporter(output: &OutputArgs) -> Reporter {
    Reporter::new(output.message_format, output.color.enabled(), output.quiet)
        .with_verbose(output.verbose > 0)
}

/// Load the worker that cargo's package flags and `--env` select (bindings to its workspace's
/// workers named as in that environment, see [`renamed_in_env`]).
pub fn worker_for(cargo: &CargoArgs, env: Option<&str>) -> Result<Worker, Failure> {
    let worker = load_worker(&WorkerArgs {
        manifest_path: cargo.manifest_path.clone(),
        package: cargo.package.clone(),
        env: env.map(str::to_string),
    })?;
    let mut renamed = renamed_in_env(vec![worker], env)?;
    Ok(renamed.remove(0))
}

/// In an environment, a service binding, Durable Object or dispatch namespace naming a sibling
/// worker means the sibling's script in that environment (`auth` → `auth-staging`, wrangler's
/// naming): each worker that names one is replaced by the workspace's copy, which has those
/// names resolved. Outside an environment, or when the workspace does not load in it, the
/// workers are returned as they are.
pub fn renamed_in_env(workers: Vec<Worker>, env: Option<&str>) -> Result<Vec<Worker>, Failure> {
    let names_sibling = |w: &Worker| bound_names(w).next().is_some();
    let first = workers.iter().find(|w| names_sibling(w));
    let (Some(first), Some(_)) = (first, env) else {
        return Ok(workers);
    };
    let root = workspace_root(&first.manifest_path)?;
    let project = match manifest::load_project(&root, env) {
        Ok(loaded) => loaded.project,
        // A member without this environment (or with errors in it): the siblings' names in it
        // are unknown, so the bindings keep theirs (what `dev` needs is checked when it loads
        // the workers it runs).
        Err(error) => {
            let first = error.errors().next().map(|p| p.message.clone());
            eprintln!(
                "{:>12} bindings to sibling workers keep their names: the workspace does not load in this environment ({})",
                "Warning",
                first.unwrap_or_default()
            );
            return Ok(workers);
        }
    };
    let renamed = |w: Worker| {
        let copy = project
            .workers
            .iter()
            .find(|p| p.manifest_path == w.manifest_path);
        copy.cloned().unwrap_or(w)
    };
    Ok(workers.into_iter().map(renamed).collect())
}

/// The folder of a worker's Cargo.toml.
pub fn crate_dir(worker: &Worker) -> PathBuf {
    worker
        .manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// A config for workerd on its own (self-hosting, `cargo edge test`): no binding server,
/// secrets read from workerd's environment, embeds relative to `config_dir`.
pub fn standalone_options(
    address: &str,
    max_date: &str,
    state_dir: PathBuf,
    config_dir: &Path,
    extra_services: Vec<String>,
) -> CapnpOptions {
    CapnpOptions {
        address: address.into(),
        max_compatibility_date: Some(max_date.into()),
        state_dir: Some(state_dir),
        binding_server: capnp::BindingServer {
            address: "127.0.0.1:9".into(),
            token: None,
        },
        secrets: capnp::Secrets::FromEnvironment,
        allow_private_network: true,
        config_dir: Some(config_dir.to_path_buf()),
        local: Default::default(),
        extra_services,
    }
}

/// Print the manifest's warnings the way cargo prints its own.
pub fn print_warnings(warnings: &[Problem]) {
    for warning in warnings {
        eprint!("{}", warning.render());
    }
}

/// Load the selected worker in `env`.
pub fn load_worker(args: &WorkerArgs) -> Result<Worker, Failure> {
    let path = manifest_path(args.manifest_path.as_deref(), args.package.as_deref())?;
    let loaded = manifest::load_worker(&path, args.env.as_deref())?;
    print_warnings(&loaded.warnings);
    Ok(loaded.worker)
}

/// The workspace's other workers that `worker` reaches by service binding or Durable Object
/// (and those they reach), so a local run or config can include them.
pub fn bound_workers(worker: &Worker, env: Option<&str>) -> Result<Vec<Worker>, Failure> {
    let bound = !referenced(worker, &[]).is_empty() || worker.dispatch_namespaces().count() > 0;
    // Queues it sends to but does not consume itself: another member may consume them.
    let foreign_queues = worker
        .queue_producers
        .values()
        .any(|p| !worker.queue_consumers.contains_key(&p.queue));
    if !bound && !foreign_queues {
        return Ok(Vec::new());
    }
    let root = workspace_root(&worker.manifest_path)?;
    match manifest::load_project(&root, env) {
        Ok(loaded) => Ok(reachable(worker, &loaded.project)),
        Err(error) if bound => Err(error.into()),
        // Only looking for consumers: a member that does not load (say, one without this
        // environment) cannot be one we need to run, so go on without the others.
        Err(error) => {
            eprintln!(
                "{:>12} not looking for consumers of `{}`'s queues among the other workers: {error}",
                "Warning", worker.name
            );
            Ok(Vec::new())
        }
    }
}

/// Every worker that `workers` bind to (service bindings, Durable Objects of another script) is
/// among them; else the first binding that is not, named, with what to do. Checked before
/// anything is built: workerd would refuse the config only after the build.
pub fn check_bound_workers(workers: &[Worker]) -> Result<(), Failure> {
    let known = |name: &str| workers.iter().any(|w| w.name == name);
    for worker in workers {
        let Some((binding, target, kind)) =
            bound_names(worker).find(|(_, target, _)| !known(target))
        else {
            continue;
        };
        let fix = match kind {
            NAMESPACE => format!("list only workers of the workspace in `{binding}`'s `local_workers`, or add the crate of `{target}` to the workspace's members"),
            _ => format!("locally cargo-edge runs only the workspace's workers: add the crate of `{target}` to the workspace's members, or remove the binding"),
        };
        return Err(plain(
            format!(
                "`{}`'s {kind} `{binding}` names worker `{target}`, which is not a worker of this workspace ({})",
                worker.name,
                worker.manifest_path.display()
            ),
            fix,
        ));
    }
    Ok(())
}

/// [`check_bound_workers`] for `cargo edge dev`: a service binding may name a worker outside the
/// workspace (dev serves a stand-in that answers 503, as `wrangler dev` does for a worker that is
/// not running: [`crate::dev::absent`]); every other reference must resolve. Returns the absent
/// names, each warned about once.
pub fn absent_services_for_dev(
    workers: &[Worker],
    reporter: &Reporter,
) -> Result<std::collections::BTreeSet<String>, Failure> {
    let absent = absent_services(workers)?;
    for name in &absent {
        reporter.warn(crate::dev::absent::warning(name));
    }
    Ok(absent)
}

/// [`check_bound_workers`], letting service bindings name workers outside `workers` (those
/// names are returned, sorted): what a local run (dev, edge-test) serves with 503 stand-ins.
pub fn absent_services(workers: &[Worker]) -> Result<std::collections::BTreeSet<String>, Failure> {
    let absent = crate::dev::absent::missing_services(workers);
    let mut with_stand_ins = workers.to_vec();
    for name in &absent {
        with_stand_ins.push(Worker::minimal(name, name, PathBuf::new(), "2026-01-01"));
    }
    check_bound_workers(&with_stand_ins)?;
    Ok(absent)
}

const NAMESPACE: &str = "dispatch namespace (`local_workers`)";

/// (binding, worker, what binds it) for each worker `worker` names by binding.
fn bound_names(worker: &Worker) -> impl Iterator<Item = (&str, &str, &'static str)> {
    let services = worker.services.iter().filter_map(|(binding, s)| match s {
        Service::Worker { worker, .. } => {
            Some((binding.as_str(), worker.as_str(), "service binding"))
        }
        Service::External { .. } => None,
    });
    let objects = worker.durable_objects.iter().filter_map(|(binding, d)| {
        let target = d.worker.as_deref()?;
        Some((binding.as_str(), target, "Durable Object binding"))
    });
    let namespaces = worker.dispatch_namespaces().flat_map(|(binding, local)| {
        let listed = local.unwrap_or_default().into_iter();
        listed.map(move |target| (binding, target, NAMESPACE))
    });
    services.chain(objects).chain(namespaces)
}

/// The names of the workers `worker` reaches: by service binding, Durable Object class, or as
/// the consumer of a queue it produces to (among `project`'s workers).
fn referenced(worker: &Worker, project: &[Worker]) -> Vec<String> {
    let consumers = worker.queue_producers.values().flat_map(|producer| {
        project
            .iter()
            .filter(|other| other.queue_consumers.contains_key(&producer.queue))
            .map(|other| other.name.clone())
    });
    let mut names: Vec<String> = worker
        .services
        .values()
        .filter_map(|s| match s {
            Service::Worker { worker, .. } => Some(worker.clone()),
            Service::External { .. } => None,
        })
        .collect();
    names.extend(
        worker
            .durable_objects
            .values()
            .filter_map(|d| d.worker.clone()),
    );
    // A dispatch namespace resolves to workspace workers in dev: its `local_workers`, or every
    // other worker of the workspace; they run beside it.
    for (_, local) in worker.dispatch_namespaces() {
        match local {
            Some(listed) => names.extend(listed.into_iter().map(str::to_string)),
            None => names.extend(
                project
                    .iter()
                    .filter(|other| other.name != worker.name)
                    .map(|other| other.name.clone()),
            ),
        }
    }
    // A namespace's outbound worker runs beside it too (its dispatched workers fetch through it).
    names.extend(worker.dispatch_outbounds().map(|(_, o)| o.to_string()));
    names.extend(consumers);
    names
}

fn reachable(main: &Worker, project: &Project) -> Vec<Worker> {
    let mut found: Vec<Worker> = Vec::new();
    let mut queue = referenced(main, &project.workers);
    while let Some(name) = queue.pop() {
        if name == main.name || found.iter().any(|w| w.name == name) {
            continue;
        }
        if let Some(worker) = project.workers.iter().find(|w| w.name == name) {
            queue.extend(referenced(worker, &project.workers));
            found.push(worker.clone());
        }
    }
    found
}

/// The workspace's workers in deploy order: each after the workers it reaches (service
/// bindings, Durable Object scripts, consumers of its queues), so a binding never names a
/// worker Cloudflare does not have yet. A cycle keeps the remaining workers in name order.
pub fn deploy_order(project: &Project) -> Vec<Worker> {
    let mut left: Vec<&Worker> = project.workers.iter().collect();
    let mut ordered: Vec<Worker> = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|worker| {
            referenced(worker, &project.workers).iter().all(|name| {
                name == &worker.name
                    || ordered.iter().any(|w| &w.name == name)
                    || !left.iter().any(|w| &w.name == name)
            })
        });
        ordered.push(left.remove(ready.unwrap_or(0)).clone());
    }
    ordered
}

/// The root folder of the workspace `manifest` belongs to.
pub fn workspace_root(manifest: &Path) -> Result<PathBuf, Failure> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .no_deps()
        .exec()
        .map_err(|e| {
            plain(
                format!("cargo metadata failed: {e}"),
                "check the workspace's Cargo.toml",
            )
        })?;
    Ok(metadata.workspace_root.into_std_path_buf())
}

/// Cargo options for building `worker`: what the command line says, with the worker's
/// `build` settings (profile, features) where the command line is silent.
pub fn cargo_options_for(
    base: &CargoOptions,
    worker: &Worker,
    default_profile: ProfileChoice,
) -> CargoOptions {
    let mut options = base.clone();
    options.manifest_path = Some(worker.manifest_path.clone());
    options.package = Some(worker.package.clone());
    if options.profile == ProfileChoice::Release {
        options.profile = match &worker.build.profile {
            Some(profile) => ProfileChoice::Named(profile.clone()),
            None => default_profile,
        };
    }
    options
        .features
        .extend(worker.build.features.iter().cloned());
    options.no_default_features |= worker.build.no_default_features;
    options
}

/// Build each worker; the first error stops.
pub fn build_all(
    base: &CargoOptions,
    workers: &[&Worker],
    profile: ProfileChoice,
    reporter: &Reporter,
) -> Result<Vec<Built>, Failure> {
    workers
        .iter()
        .map(|worker| {
            let options = BuildOptions {
                cargo: cargo_options_for(base, worker, profile.clone()),
                startup: None,
            };
            build::run(&options, reporter).map_err(Failure::from)
        })
        .collect()
}

/// The target folder cargo uses for `manifest`.
pub fn target_dir(manifest: &Path, explicit: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(dir) = explicit {
        return Ok(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()));
    }
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .no_deps()
        .exec()
        .map_err(|e| {
            plain(
                format!("cargo metadata failed: {e}"),
                "check the workspace's Cargo.toml",
            )
        })?;
    Ok(metadata.target_directory.into_std_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindBinding;

    fn worker(name: &str, local_workers: Option<&[&str]>) -> Worker {
        let mut worker = Worker::minimal(name, name, PathBuf::from("Cargo.toml"), "2025-06-01");
        let mut fields = serde_json::Map::new();
        fields.insert("namespace".into(), "customers".into());
        if let Some(list) = local_workers {
            fields.insert("local_workers".into(), serde_json::json!(list));
        }
        let binding = KindBinding {
            kind: "dispatch_namespaces",
            fields,
        };
        worker.kind_bindings.insert("TENANTS".into(), binding);
        worker
    }

    #[test]
    fn a_namespace_reaches_its_local_workers_or_every_other_worker() {
        let project = vec![
            worker("a", None),
            Worker::minimal("b", "b", "b".into(), "2025-06-01"),
        ];
        assert_eq!(referenced(&project[0], &project), ["b"]);
        assert_eq!(referenced(&worker("a", Some(&["c"])), &project), ["c"]);
    }

    #[test]
    fn a_local_worker_outside_the_workspace_is_named() {
        let workers = [worker("a", Some(&["ghost"]))];
        let failure = check_bound_workers(&workers).expect_err("refused");
        let text = crate::manifest::error::render(failure.report.as_ref());
        assert!(
            text.contains("dispatch namespace (`local_workers`) `TENANTS` names worker `ghost`")
                && text
                    .contains("list only workers of the workspace in `TENANTS`'s `local_workers`"),
            "{text}"
        );
        assert!(check_bound_workers(&[worker("a", Some(&[]))]).is_ok());
    }
}
