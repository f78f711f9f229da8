//! Standard input for the data commands whose argument is `-` (`kv put`, `r2 put`).

use super::failure::{plain, Failure};

/// All of standard input; `what` names it in the help ("the value", "the object").
pub fn read_stdin(what: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
        plain(
            format!("could not read standard input: {e}"),
            format!("pipe {what} in"),
        )
    })?;
    Ok(bytes)
}
