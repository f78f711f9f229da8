//! Asking before something that cannot be undone: `--yes` answers for scripts; without it a
//! terminal is asked, and anything else is refused with how to proceed.

use std::io::{BufRead, IsTerminal, Write};

use super::failure::{plain, Failure};

/// Whether to go ahead. `what` is the question (without the "[y/N]").
pub fn confirm(what: &str, yes: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(plain(
            format!("{what}? No terminal to ask"),
            "pass --yes to confirm non-interactively (or --dry-run to see what would happen)",
        ));
    }
    eprint!("{what}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| plain(format!("could not read the answer: {e}"), "pass --yes"))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
