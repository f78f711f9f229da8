//! Flags many commands share: cargo's own (package selection, features, profile, manifest),
//! output (verbosity, colour, message format) and the worker selection. Commands
//! `#[command(flatten)]` them.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::build::{CargoOptions, ProfileChoice, WasmOptChoice};
use crate::report::MessageFormat;

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
