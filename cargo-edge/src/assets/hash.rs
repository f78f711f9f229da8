//! An asset's hash as Cloudflare's direct upload and wrangler compute it: BLAKE3 over the
//! file's base64 text followed by its extension (without the dot), as 32 hex characters. The
//! same value is the asset's `ETag` on Cloudflare, so dev uses it too.

use base64::Engine;

/// The hash of a file named `name` (a path or a file name) holding `contents`.
pub fn asset_hash(contents: &[u8], name: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    let encoded = base64::engine::general_purpose::STANDARD.encode(contents);
    hasher.update(encoded.as_bytes());
    hasher.update(extension(name).as_bytes());
    let hex = hasher.finalize().to_hex();
    hex[..32].to_string()
}

/// The extension as Node's `path.extname(name).substring(1)` gives it: after the last dot of
/// the file name, empty for a dot-file such as `.env` or a name without a dot.
pub fn extension(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let trimmed = base.trim_start_matches('.');
    let leading = base.len() - trimmed.len();
    match trimmed.rfind('.') {
        Some(dot) => &base[leading + dot + 1..],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_follows_node_extname() {
        assert_eq!(extension("/a/index.html"), "html");
        assert_eq!(extension("archive.tar.gz"), "gz");
        assert_eq!(extension(".assetsignore"), "");
        assert_eq!(extension("/x/.env.local"), "local");
        assert_eq!(extension("README"), "");
        assert_eq!(extension("trailing."), "");
    }

    #[test]
    fn hash_is_blake3_of_base64_and_extension() {
        // base64("hello") = "aGVsbG8=", so this is BLAKE3("aGVsbG8=txt").
        let expected = blake3::hash(b"aGVsbG8=txt").to_hex()[..32].to_string();
        assert_eq!(asset_hash(b"hello", "/greeting.txt"), expected);
        assert_eq!(asset_hash(b"hello", "a.txt").len(), 32);
        assert_ne!(
            asset_hash(b"hello", "a.txt"),
            asset_hash(b"hello", "a.html")
        );
    }
}
