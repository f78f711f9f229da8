use std::path::PathBuf;

/// The profile `cargo edge dev` builds with unless told otherwise: release without LTO.
pub const DEV_PROFILE: &str = "edge-dev";

/// Whether production builds run `wasm-opt` over the module, and which one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WasmOptChoice {
    /// The first found on `PATH`, at `/usr/bin/wasm-opt`, or in a `node_modules` above the crate;
    /// none found means no optimisation, and a failure keeps the module as it was (with a warning).
    #[default]
    Auto,
    /// `--wasm-opt PATH`: this one, and a failure fails the build.
    Path(PathBuf),
    /// `--no-wasm-opt`.
    Off,
}

/// Which cargo profile to build with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProfileChoice {
    /// `--release`, the default: workers ship release builds.
    #[default]
    Release,
    /// cargo's `dev` profile.
    Dev,
    /// `--profile NAME`.
    Named(String),
}

impl ProfileChoice {
    /// The profile's name as cargo knows it.
    pub fn name(&self) -> &str {
        match self {
            ProfileChoice::Release => "release",
            ProfileChoice::Dev => "dev",
            ProfileChoice::Named(name) => name,
        }
    }

    /// The folder cargo writes this profile's artifacts to (`dev` → `debug`).
    pub fn dir_name(&self) -> &str {
        match self.name() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        }
    }

    /// Whether the output is for production: strip what only debugging needs and run wasm-opt.
    /// `cargo edge dev`'s own profile is not: it keeps the name section for readable backtraces.
    pub fn is_production(&self) -> bool {
        !matches!(self.name(), "dev" | "test" | DEV_PROFILE)
    }
}

/// The cargo flags a build passes through, as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct CargoOptions {
    pub manifest_path: Option<PathBuf>,
    pub package: Option<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub profile: ProfileChoice,
    pub target_dir: Option<PathBuf>,
    pub locked: bool,
    pub offline: bool,
    pub verbose: u8,
    pub quiet: bool,
    pub color: String,
    /// `--config KEY=VALUE` overrides for cargo (the dev profile is defined this way).
    pub config: Vec<String>,
    /// Not a cargo flag: the wasm-opt choice rides along so every build (build, dev reloads,
    /// deploy) honours it.
    pub wasm_opt: WasmOptChoice,
    /// `--fix-lock`: move a lock with an unreadable wasm-bindgen to the embedded one.
    pub fix_lock: bool,
    /// `--panic-unwind`: nightly, `-Zbuild-std` and `-Cpanic=unwind` (see `unwind.rs`).
    pub panic_unwind: bool,
}

impl CargoOptions {
    /// `--locked`/`--offline`, shared by `cargo metadata` and `cargo build`.
    pub(crate) fn lock_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.locked {
            args.push("--locked".into());
        }
        if self.offline {
            args.push("--offline".into());
        }
        args
    }

    /// Feature flags, as cargo takes them.
    pub(crate) fn feature_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for features in &self.features {
            args.push("--features".into());
            args.push(features.clone());
        }
        if self.all_features {
            args.push("--all-features".into());
        }
        if self.no_default_features {
            args.push("--no-default-features".into());
        }
        args
    }
}

/// Everything `cargo edge build` needs to know.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub cargo: CargoOptions,
    /// Measure startup in local workerd after a production build (`cargo edge build` does).
    pub startup: Option<super::startup::StartupOptions>,
}
