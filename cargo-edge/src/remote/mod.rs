//! Data on the account, with `--remote`: KV, R2, D1 and queues of a deployed worker, found
//! through its bindings (`--env` picks the environment's resource names).

pub mod d1;
pub mod kv;
pub mod queues;
pub mod r2;
pub mod resolve;

/// A path segment percent-encoded (RFC 3986 unreserved characters kept), for keys in URLs.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(super::encode_segment("a/b c~d"), "a%2Fb%20c~d");
        assert_eq!(super::encode_segment("é"), "%C3%A9");
    }
}
