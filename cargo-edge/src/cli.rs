//! The command line: parsing and dispatch only. Every command's work lives in a library module.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::styling::{AnsiColor, Effects, Styles};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::build::{self, BuildOptions, CargoOptions, ProfileChoice};
use crate::report::{MessageFormat, Reporter};

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
    /// Compile the worker to wasm and write its bundle (shim, glue, wasm, bundle.json)
    Build(BuildArgs),
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
    fn enabled(self) -> bool {
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
        }
    }
}

/// Parse the process arguments, run the command and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    let CargoCli::Edge(cli) = CargoCli::parse();
    init_tracing();
    run(cli)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CARGO_EDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

pub fn run(cli: EdgeCli) -> ExitCode {
    match cli.command {
        Command::Build(args) => {
            let color = args.output.color.enabled();
            let reporter = Reporter::new(args.output.message_format, color, args.output.quiet);
            let options = BuildOptions {
                cargo: args.cargo.to_options(&args.output),
            };
            match build::run(&options, &reporter) {
                Ok(bundle) => {
                    reporter.finished(&bundle);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let code = error.exit_code();
                    reporter.error(error);
                    ExitCode::from(code)
                }
            }
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
        let Command::Build(args) = parse(line).expect(line).command;
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
    }

    #[test]
    fn conflicting_flags_are_refused() {
        for line in [
            "cargo edge build --release --dev",
            "cargo edge build --release --profile x",
            "cargo edge build -q -v",
            "cargo edge build --message-format xml",
        ] {
            assert!(parse(line).is_err(), "{line} should not parse");
        }
    }

    #[test]
    fn json_message_format_parses() {
        let Command::Build(args) = parse("cargo edge build --message-format json")
            .unwrap()
            .command;
        assert_eq!(args.output.message_format, MessageFormat::Json);
    }
}
