//! The command line: parsing and dispatch only. Every command's work lives in a library module.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::builder::styling::{AnsiColor, Effects, Styles};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::build::{CargoOptions, ProfileChoice, WasmOptChoice};
use crate::report::MessageFormat;

/// Cargo's own help colours, so `cargo edge --help` reads like `cargo --help`.
const CARGO_STYLES: Styles = Styles::styled()
    .header(AnsiColor::Green.on_default().effects(Effects::BOLD))
    .usage(AnsiColor::Green.on_default().effects(Effects::BOLD))
    .literal(AnsiColor::Cyan.on_default().effects(Effects::BOLD))
    .placeholder(AnsiColor::Cyan.on_default())
    .error(AnsiColor::Red.on_default().effects(Effects::BOLD))
    .valid(AnsiColor::Cyan.on_default().effects(Effects::BOLD))
    .invalid(AnsiColor::Yellow.on_default().effects(Effects::BOLD));

/// Cargo runs `cargo-edge edge <args>`; this wrapper makes that and `cargo edge` parse alike.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = CARGO_STYLES)]
pub enum CargoCli {
    Edge(EdgeCli),
}

/// Build, run and deploy Rust Cloudflare Workers.
#[derive(Debug, Args)]
#[command(version, about, long_about = None)]
pub struct EdgeCli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a worker project from a template
    New(NewArgs),
    /// Make an existing crate a worker: cdylib, the worker dependency, a size-tuned release
    /// profile and the [package.metadata.edge] table, keeping the rest of Cargo.toml as it is
    Init(InitArgs),
    /// Compile the worker to wasm and write its bundle (shim, glue, wasm, bundle.json)
    Build(BuildArgs),
    /// Render the worker's configuration: workerd capnp, wrangler.toml/jsonc, upload metadata
    Config(ConfigArgs),
    /// Run the worker locally in workerd with local bindings, rebuilding on save
    Dev(DevArgs),
    /// Build and deploy the worker to Cloudflare
    Deploy(DeployArgs),
    /// Move traffic between the two versions of a gradual rollout
    Rollout(RolloutArgs),
    /// List the worker's versions on Cloudflare
    Versions(ListArgs),
    /// List the worker's deployments on Cloudflare
    Deployments(ListArgs),
    /// Set, list or delete the worker's secrets on Cloudflare
    Secret(SecretArgs),
    /// D1: apply migrations and run SQL, locally or on Cloudflare
    D1(D1Args),
    /// Read and write local KV data (the state `cargo edge dev` serves)
    Kv(KvArgs),
    /// Read and write local R2 objects (the state `cargo edge dev` serves)
    R2(R2Args),
    /// Fire a trigger of a running `cargo edge dev`
    Trigger(TriggerArgs),
    /// `workerd compile` the worker into one self-contained executable
    Compile(CompileArgs),
    /// Write a Dockerfile or a systemd socket + service unit pair around the compiled worker
    Export(ExportArgs),
    /// Turn a wrangler.toml / wrangler.json(c) into [package.metadata.edge] in Cargo.toml
    Import(ImportArgs),
    /// Run the worker's tests: `edge-test` tests natively, `#[wasm_bindgen_test]` tests inside workerd (`--wasm`), and tests/workerd/*.js
    Test(TestArgs),
    /// The runner `cargo edge test --wasm` names for wasm32 test binaries
    #[command(hide = true)]
    WasmTestRunner(super::wasm_test_cmd::WasmTestRunnerArgs),
    /// Write a Rust module with one typed accessor per binding (default: src/edge_env.rs)
    Types(TypesArgs),
    /// Write a deterministic zip of the built worker and its rendered configs
    Package(PackageArgs),
}

/// The worker a command is about: cargo's package selection plus `--env`.
#[derive(Debug, Args, Default, Clone)]
pub struct WorkerArgs {
    /// Path to Cargo.toml
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Manifest Options"
    )]
    pub manifest_path: Option<PathBuf>,
    /// Package to use
    #[arg(
        short = 'p',
        long = "package",
        global = true,
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub package: Option<String>,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, global = true, value_name = "NAME")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// A workerd config for `workerd serve` (self-hosting and the local runtime)
    Capnp,
    /// wrangler.toml, with every environment
    Wrangler,
    /// wrangler.jsonc, with every environment
    WranglerJson,
    /// The `metadata` part of a Cloudflare script upload
    UploadJson,
    /// The resolved model, as JSON
    Model,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, default_value_t = ConfigFormat::Capnp)]
    pub format: ConfigFormat,
    /// Write to this file instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIRECTORY")]
    pub target_dir: Option<PathBuf>,
    /// Build with the given profile (default: release)
    #[arg(long, value_name = "PROFILE-NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// Port to serve on
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to serve on
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: String,
    /// Open workerd's inspector (Chrome DevTools) on this port
    #[arg(long)]
    pub inspector_port: Option<u16>,
    /// Keep local state here instead of `.edge/state` beside Cargo.toml
    #[arg(long, value_name = "DIR", conflicts_with = "no_persist")]
    pub persist_to: Option<PathBuf>,
    /// Keep local state in a temporary folder, deleted on exit
    #[arg(long)]
    pub no_persist: bool,
    /// Do not rebuild when sources change
    #[arg(long)]
    pub no_watch: bool,
    /// The workerd binary to use
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
    /// Install the tested workerd with npm if none is found, without asking
    #[arg(long)]
    pub install_workerd: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// Print the plan and write the requests it would send to DIR; change nothing
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "target/edge-dry-run")]
    pub dry_run: Option<PathBuf>,
    /// Upload even when nothing changed
    #[arg(long)]
    pub force: bool,
    /// Deploy the new version to this percentage of traffic beside the current one
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(1..=99))]
    pub canary: Option<u8>,
    /// Set the secrets in this file (`NAME=value` lines) with the deploy
    #[arg(long, value_name = "FILE", conflicts_with = "workspace")]
    pub secrets_file: Option<PathBuf>,
    /// Deploy every worker of the workspace, each after the workers it binds to
    #[arg(long, conflicts_with_all = ["package", "canary"])]
    pub workspace: bool,
}

#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub action: RolloutAction,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

#[derive(Debug, Subcommand)]
pub enum RolloutAction {
    /// Send all traffic to the new version
    Promote,
    /// Send PERCENT of traffic to the new version
    Set {
        #[arg(value_parser = clap::value_parser!(u8).range(1..=100))]
        percent: u8,
    },
    /// Send all traffic back to the previous version
    Rollback,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to do (only `list`)
    #[arg(value_parser = ["list"])]
    pub action: String,
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Args)]
pub struct SecretArgs {
    #[command(subcommand)]
    pub action: SecretAction,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

#[derive(Debug, Subcommand)]
pub enum SecretAction {
    /// Set NAME to the value read from standard input
    Put { name: String },
    /// List the names of the worker's secrets
    List,
    /// Delete NAME
    Delete { name: String },
}

#[derive(Debug, Args)]
pub struct D1Args {
    #[command(subcommand)]
    pub action: D1Action,
}

#[derive(Debug, Subcommand)]
pub enum D1Action {
    /// Migrations of a D1 binding's database
    Migrations {
        #[command(subcommand)]
        action: MigrationsAction,
    },
    /// Run SQL against a D1 binding's database
    Execute {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        /// Run against local state (`cargo edge dev`'s)
        #[arg(long)]
        local: bool,
        /// Local state folder (default `.edge/state` beside Cargo.toml)
        #[arg(long, value_name = "DIR")]
        persist_to: Option<PathBuf>,
        /// SQL to run
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        command: Option<String>,
        /// A file of SQL to run
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrationsAction {
    /// Apply the migrations folder's pending files, in order, once each
    Apply {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        /// Apply to local state (`cargo edge dev`'s) instead of Cloudflare
        #[arg(long)]
        local: bool,
        /// Local state folder (default `.edge/state` beside Cargo.toml)
        #[arg(long, value_name = "DIR")]
        persist_to: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct KvArgs {
    #[command(subcommand)]
    pub action: KvAction,
    #[command(flatten)]
    pub local: LocalArgs,
}

/// Where local state is: every local-data command takes these.
#[derive(Debug, Args, Clone)]
pub struct LocalArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Use local state (required: commands on KV data on Cloudflare are not part of cargo-edge yet)
    #[arg(long, global = true)]
    pub local: bool,
    /// Local state folder (default `.edge/state` beside Cargo.toml)
    #[arg(long, global = true, value_name = "DIR")]
    pub persist_to: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KvAction {
    Get {
        binding: String,
        key: String,
    },
    /// Store VALUE (or standard input when VALUE is `-`)
    Put {
        binding: String,
        key: String,
        value: String,
    },
    List {
        binding: String,
        #[arg(long)]
        prefix: Option<String>,
    },
    Delete {
        binding: String,
        key: String,
    },
}

#[derive(Debug, Args)]
pub struct R2Args {
    #[command(subcommand)]
    pub action: R2Action,
    #[command(flatten)]
    pub local: LocalArgs,
}

#[derive(Debug, Subcommand)]
pub enum R2Action {
    /// Write an object's bytes to standard output
    Get {
        binding: String,
        key: String,
    },
    /// Store FILE (or standard input when FILE is `-`) as an object
    Put {
        binding: String,
        key: String,
        file: PathBuf,
    },
    /// List keys, one per line
    List {
        binding: String,
        #[arg(long)]
        prefix: Option<String>,
    },
    Delete {
        binding: String,
        key: String,
    },
}

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// What to fire (only `cron`)
    #[arg(value_parser = ["cron"])]
    pub kind: String,
    /// The cron expression, as written in [package.metadata.edge] crons
    pub cron: String,
    /// The port `cargo edge dev` serves on
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The executable to write (default: target/edge/<worker>.bin)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where Durable Objects keep their data when the executable runs
    #[arg(long, value_name = "DIR", default_value = "/var/lib/cargo-edge")]
    pub state_dir: PathBuf,
    /// The workerd binary to compile with
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportKind {
    Docker,
    Systemd,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub kind: ExportKind,
    #[command(flatten)]
    pub compile: CompileArgs,
    /// The folder to write into
    #[arg(long = "dir", value_name = "DIR", default_value = "deploy")]
    pub dir: PathBuf,
    /// The port the worker listens on
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The folder of test modules (relative to the crate)
    #[arg(long, value_name = "DIR", default_value = "tests/workerd")]
    pub tests_dir: PathBuf,
    /// The workerd binary to use
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
    /// Only the `#[wasm_bindgen_test]` tests, run inside workerd with the worker's bindings
    #[arg(long, conflicts_with = "native")]
    pub wasm: bool,
    /// Only the native tests (`cargo test`, for tests that use the `edge-test` crate)
    #[arg(long, conflicts_with = "js")]
    pub native: bool,
    /// Only the `workerd test` modules of the tests folder
    #[arg(long, conflicts_with = "wasm")]
    pub js: bool,
    /// A test name filter, then libtest's arguments after `--` (`--nocapture`, `--exact`, ...)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The package name (and folder) of the new project
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// The template
    #[arg(short, long, default_value = "hello")]
    pub template: String,
    /// List the templates
    #[arg(long)]
    pub list: bool,
    /// Where to create the project (default: ./NAME)
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The crate's Cargo.toml
    #[arg(long, value_name = "PATH", default_value = "Cargo.toml")]
    pub manifest_path: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The wrangler config to import
    pub wrangler: PathBuf,
    /// The Cargo.toml to write into
    #[arg(long, value_name = "PATH", default_value = "Cargo.toml")]
    pub manifest_path: PathBuf,
    /// Replace an existing [package.metadata.edge] table
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct TypesArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Where to write the module (relative to the crate folder); `-` prints it
    #[arg(short = 'o', long, default_value = "src/edge_env.rs")]
    pub output: PathBuf,
    /// Fail if the file is not current instead of writing it (for CI)
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The zip to write
    #[arg(short = 'o', long = "out", value_name = "FILE.zip")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Cargo's own flags, under cargo's own help headings.
#[derive(Debug, Args, Default)]
pub struct CargoArgs {
    /// Package to build
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub package: Option<String>,

    /// Space or comma separated list of features to activate
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature Selection"
    )]
    pub features: Vec<String>,
    /// Activate all available features
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,
    /// Do not activate the `default` feature
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,

    /// Build with the release profile (the default: workers ship release builds)
    #[arg(short = 'r', long, conflicts_with_all = ["profile", "dev"], help_heading = "Compilation Options")]
    pub release: bool,
    /// Build with the dev profile (faster to compile, larger and slower)
    #[arg(long, conflicts_with = "profile", help_heading = "Compilation Options")]
    pub dev: bool,
    /// Build with the given profile
    #[arg(
        long,
        value_name = "PROFILE-NAME",
        help_heading = "Compilation Options"
    )]
    pub profile: Option<String>,
    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIRECTORY", help_heading = "Compilation Options")]
    pub target_dir: Option<PathBuf>,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    pub manifest_path: Option<PathBuf>,
    /// Assert that `Cargo.lock` will remain unchanged
    #[arg(long, help_heading = "Manifest Options")]
    pub locked: bool,
    /// Run without accessing the network
    #[arg(long, help_heading = "Manifest Options")]
    pub offline: bool,

    /// Run this wasm-opt over production builds (default: one found on PATH, /usr/bin or node_modules)
    #[arg(long, value_name = "PATH", help_heading = "Optimization")]
    pub wasm_opt: Option<PathBuf>,
    /// Never run wasm-opt
    #[arg(long, conflicts_with = "wasm_opt", help_heading = "Optimization")]
    pub no_wasm_opt: bool,
}

#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Use verbose output (-vv very verbose)
    #[arg(short = 'v', long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Do not print cargo log messages
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Coloring
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub color: Color,
    /// The output format for messages
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self) -> bool {
        match self {
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
            Color::Always => true,
            Color::Never => false,
        }
    }

    fn as_cargo_arg(self) -> &'static str {
        match self {
            Color::Auto => "auto",
            Color::Always => "always",
            Color::Never => "never",
        }
    }
}

impl CargoArgs {
    /// Turn the flags into build options. Destructured in full so a new flag cannot be forgotten.
    pub fn to_options(&self, output: &OutputArgs) -> CargoOptions {
        let CargoArgs {
            package,
            features,
            all_features,
            no_default_features,
            release: _,
            dev,
            profile,
            target_dir,
            manifest_path,
            locked,
            offline,
            wasm_opt,
            no_wasm_opt,
        } = self;
        let profile = match (profile, dev) {
            (Some(name), _) => ProfileChoice::Named(name.clone()),
            (None, true) => ProfileChoice::Dev,
            (None, false) => ProfileChoice::Release,
        };
        CargoOptions {
            manifest_path: manifest_path.clone(),
            package: package.clone(),
            features: features.clone(),
            all_features: *all_features,
            no_default_features: *no_default_features,
            profile,
            target_dir: target_dir.clone(),
            locked: *locked,
            offline: *offline,
            verbose: output.verbose,
            quiet: output.quiet,
            color: output.color.as_cargo_arg().to_string(),
            config: Vec::new(),
            wasm_opt: match (wasm_opt, no_wasm_opt) {
                (_, true) => WasmOptChoice::Off,
                (Some(path), false) => WasmOptChoice::Path(path.clone()),
                (None, false) => WasmOptChoice::Auto,
            },
        }
    }
}

/// Used by tests and by clap's own consistency check.
pub fn command() -> clap::Command {
    <CargoCli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    fn parse(line: &str) -> Result<EdgeCli, clap::Error> {
        let CargoCli::Edge(cli) = CargoCli::try_parse_from(line.split_whitespace())?;
        Ok(cli)
    }

    fn build_options(line: &str) -> CargoOptions {
        let Command::Build(args) = parse(line).expect(line).command else {
            panic!("{line} is a build")
        };
        args.cargo.to_options(&args.output)
    }

    #[test]
    fn command_lines_parse_like_cargo() {
        let cases: &[(&str, ProfileChoice)] = &[
            ("cargo edge build", ProfileChoice::Release),
            ("cargo edge build --release", ProfileChoice::Release),
            ("cargo edge build -r", ProfileChoice::Release),
            ("cargo edge build --dev", ProfileChoice::Dev),
            (
                "cargo edge build --profile fast",
                ProfileChoice::Named("fast".into()),
            ),
        ];
        for (line, profile) in cases {
            assert_eq!(&build_options(line).profile, profile, "{line}");
        }
        let options = build_options(
            "cargo edge build --manifest-path w/Cargo.toml -p api --target-dir t --locked --offline \
             -F a,b --features c --no-default-features -vv --color never",
        );
        assert_eq!(options.manifest_path, Some(PathBuf::from("w/Cargo.toml")));
        assert_eq!(options.package.as_deref(), Some("api"));
        assert_eq!(options.target_dir, Some(PathBuf::from("t")));
        assert!(options.locked && options.offline && options.no_default_features);
        assert_eq!(options.features, vec!["a,b", "c"]);
        assert_eq!(options.verbose, 2);
        assert_eq!(options.color, "never");
        assert_eq!(options.wasm_opt, WasmOptChoice::Auto);
        let wasm_opt = |line: &str| build_options(line).wasm_opt;
        assert_eq!(
            wasm_opt("cargo edge build --wasm-opt /opt/wasm-opt"),
            WasmOptChoice::Path("/opt/wasm-opt".into())
        );
        assert_eq!(
            wasm_opt("cargo edge build --no-wasm-opt"),
            WasmOptChoice::Off
        );
    }

    #[test]
    fn conflicting_flags_are_refused() {
        for line in [
            "cargo edge build --release --dev",
            "cargo edge build --release --profile x",
            "cargo edge build -q -v",
            "cargo edge build --message-format xml",
            "cargo edge build --wasm-opt w --no-wasm-opt",
        ] {
            assert!(parse(line).is_err(), "{line} should not parse");
        }
    }

    #[test]
    fn every_command_parses() {
        for line in [
            "cargo edge config --format wrangler --env prod",
            "cargo edge config --format upload-json -o x.json",
            "cargo edge dev --port 9000 --no-persist --no-watch --install-workerd",
            "cargo edge deploy --env prod --dry-run",
            "cargo edge deploy --dry-run out --canary 10 --secrets-file .secrets",
            "cargo edge rollout promote",
            "cargo edge rollout set 50 --env prod",
            "cargo edge rollout rollback",
            "cargo edge versions list",
            "cargo edge deployments list --message-format json",
            "cargo edge secret put API_KEY --env prod",
            "cargo edge secret list",
            "cargo edge d1 migrations apply DB --local",
            "cargo edge d1 execute DB --local --command SELECT",
            "cargo edge kv get CACHE key --local",
            "cargo edge trigger cron *",
            "cargo edge r2 put ASSETS a.txt ./a.txt --local",
            "cargo edge r2 list ASSETS --prefix x --local",
            "cargo edge package -o w.zip",
            "cargo edge types --check",
            "cargo edge new api --template d1",
            "cargo edge new --list",
            "cargo edge test --profile fast",
            "cargo edge compile -o w.bin --env prod",
            "cargo edge export systemd --dir out --port 9000",
            "cargo edge import wrangler.toml --manifest-path x/Cargo.toml",
        ] {
            assert!(parse(line).is_ok(), "{line}: {:?}", parse(line).err());
        }
        for line in [
            "cargo edge deploy --canary 0",
            "cargo edge deploy --canary 100",
            "cargo edge rollout set 0",
        ] {
            assert!(parse(line).is_err(), "{line} should not parse");
        }
    }

    #[test]
    fn json_message_format_parses() {
        let Command::Build(args) = parse("cargo edge build --message-format json")
            .unwrap()
            .command
        else {
            panic!("a build")
        };
        assert_eq!(args.output.message_format, MessageFormat::Json);
    }
}
