use std::process::ExitCode;

fn main() -> ExitCode {
    cargo_edge::cli::main()
}
