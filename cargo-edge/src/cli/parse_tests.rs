//! Command lines parsed the way a user types them, and clap's own consistency check.

use std::path::PathBuf;

use clap::Parser;

use super::{command, CargoCli, Command, EdgeCli};
use crate::build::{CargoOptions, ProfileChoice, WasmOptChoice};
use crate::report::MessageFormat;

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
        "cargo edge kv get CACHE key --remote --env prod",
        "cargo edge kv bulk put CACHE seed.json",
        "cargo edge d1 migrations list DB --remote",
        "cargo edge d1 export DB -o out.sql --remote",
        "cargo edge analytics CLICKS --last 5",
        "cargo edge trigger cron *",
        "cargo edge trigger cron * --port 9000",
        "cargo edge trigger email --from a@example.com --to b@example.com hi.eml --port 9000",
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

fn help(subcommand: &str) -> String {
    let mut cargo = command();
    let edge = cargo.find_subcommand_mut("edge").expect("edge");
    edge.build();
    edge.find_subcommand_mut(subcommand)
        .expect(subcommand)
        .render_long_help()
        .to_string()
}

#[test]
fn dev_and_deploy_help_say_what_a_newcomer_needs() {
    let dev = help("dev");
    assert!(
        !dev.contains("the default: workers ship release builds"),
        "{dev}"
    );
    assert!(dev.contains("dev's default is `edge-dev`"), "{dev}");
    for needle in ["`r` to rebuild", "`q`", "/__edge/trigger/cron", ".dev.vars"] {
        assert!(dev.contains(needle), "dev --help lacks {needle}:\n{dev}");
    }
    let deploy = help("deploy");
    for needle in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_ACCOUNT_ID",
        "CLOUDFLARE_API_BASE_URL",
        "target/edge-dry-run",
    ] {
        assert!(
            deploy.contains(needle),
            "deploy --help lacks {needle}:\n{deploy}"
        );
    }
    // build keeps the shared wording: release is its default.
    assert!(help("build").contains("workers ship release builds"));
}

#[test]
fn workspace_selects_every_member_and_excludes_package() {
    let Command::Build(args) = parse("cargo edge build --workspace").unwrap().command else {
        panic!("a build")
    };
    assert!(args.workspace && args.cargo.package.is_none());
    let Command::Config(args) = parse("cargo edge config --workspace --format model")
        .unwrap()
        .command
    else {
        panic!("a config")
    };
    assert!(args.workspace);
    assert!(parse("cargo edge build --workspace -p api").is_err());
    assert!(parse("cargo edge config --workspace -p api").is_err());
}
