//! `cargo edge package`: one deterministic zip of a built worker for CI pipelines and IaC tools
//! (build once, deploy the artifact): the modules, `bundle.json` with the content hash, and the
//! rendered configs. Same input, same bytes: fixed timestamps, permissions and order.

use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::bundle::{Bundle, BUNDLE_JSON};
use crate::error::{Error, Result};

/// Extra files (rendered configs) to put beside the modules, by name.
pub type Extra = (String, Vec<u8>);

/// Write the zip to `out` and return its SHA-256.
pub fn package(bundle: &Bundle, extras: &[Extra], out: &Path) -> Result<String> {
    let bytes = zip_bytes(bundle, extras)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(Error::io("creating", parent))?;
    }
    std::fs::write(out, &bytes).map_err(Error::io("writing", out))?;
    Ok(crate::bundle::sha256_hex(&bytes))
}

/// The zip's bytes: `bundle.json`, then the modules in bundle order, then the extras by name.
pub fn zip_bytes(bundle: &Bundle, extras: &[Extra]) -> Result<Vec<u8>> {
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let manifest = bundle.dir.join(BUNDLE_JSON);
    entries.push((
        BUNDLE_JSON.into(),
        std::fs::read(&manifest).map_err(Error::io("reading", &manifest))?,
    ));
    for module in &bundle.modules {
        let path = bundle.module_path(module);
        entries.push((
            format!("modules/{}", module.name),
            std::fs::read(&path).map_err(Error::io("reading", &path))?,
        ));
    }
    let mut extras = extras.to_vec();
    extras.sort_by(|a, b| a.0.cmp(&b.0));
    entries.extend(extras);

    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let zip_error =
        |e: zip::result::ZipError| Error::io("zipping", "bundle")(std::io::Error::other(e));
    for (name, bytes) in entries {
        writer.start_file(name, options).map_err(zip_error)?;
        writer
            .write_all(&bytes)
            .map_err(Error::io("zipping", "bundle"))?;
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Exports;
    use crate::bundle::{BundleSource, ModuleSource, ModuleType};

    fn bundle(dir: &Path) -> Bundle {
        BundleSource {
            worker: "w".into(),
            wasm_bindgen: "0.2.130".into(),
            profile: "release".into(),
            exports: Exports::default(),
            modules: vec![
                ModuleSource {
                    name: "shim.mjs".into(),
                    kind: ModuleType::Esm,
                    bytes: b"export default {}".to_vec(),
                },
                ModuleSource {
                    name: "index_bg.wasm".into(),
                    kind: ModuleType::Wasm,
                    bytes: vec![0, 97, 115, 109],
                },
            ],
        }
        .write(dir)
        .unwrap()
    }

    #[test]
    fn the_same_bundle_zips_to_the_same_bytes_whenever_it_is_built() {
        let root = tempfile::tempdir().unwrap();
        let first = bundle(&root.path().join("a"));
        let extras = vec![
            ("wrangler.toml".to_string(), b"name = \"w\"".to_vec()),
            ("config.capnp".to_string(), b"#".to_vec()),
        ];
        let one = zip_bytes(&first, &extras).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100)); // a later mtime must not matter
        let second = bundle(&root.path().join("b"));
        let mut reversed = extras.clone();
        reversed.reverse();
        assert_eq!(one, zip_bytes(&second, &reversed).unwrap());

        let mut archive = zip::ZipArchive::new(Cursor::new(one)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "bundle.json",
                "modules/shim.mjs",
                "modules/index_bg.wasm",
                "config.capnp",
                "wrangler.toml"
            ]
        );
    }
}
