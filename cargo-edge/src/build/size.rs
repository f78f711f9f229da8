//! Where the bytes of the final wasm module go: by function and by crate, read from the module's
//! name section before a production build strips it (the code is the same bytes either way), with
//! data segments counted apart, since no function owns them.
//!
//! A function's crate is the first path segment of its demangled name (for `<A as B>::f`, that of
//! `A`; for drop glue, that of the dropped type). wasm-bindgen's generated shims and imports count
//! as `wasm-bindgen`, the compiler's intrinsics (`memcpy`, `__multi3`) as `compiler_builtins`.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use wasmparser::{KnownCustom, Name, Parser, Payload};

/// One function of the module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Demangled, without the hash.
    pub name: String,
    #[serde(rename = "crate")]
    pub krate: String,
    /// Bytes of its body in the code section.
    pub size: u64,
}

/// The size of one wasm module, attributed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeReport {
    /// The shipped module's bytes (after stripping), and gzip -9 of them.
    pub total: u64,
    pub gzip: u64,
    /// Sum of the function bodies.
    pub code: u64,
    /// Sum of the data segments.
    pub data: u64,
    /// Custom sections that still ship (none in production), by name.
    pub custom: BTreeMap<String, u64>,
    /// Every other section (types, imports, exports, tables, headers), together.
    pub other: u64,
    /// Largest first.
    pub functions: Vec<Function>,
}

/// Bytes by crate, largest first, with a gzip -9 of each crate's code on its own (what the
/// crate would cost compressed, roughly: gzip's window spans crates in the real module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateSize {
    #[serde(rename = "crate")]
    pub krate: String,
    pub size: u64,
    pub functions: usize,
}

impl SizeReport {
    /// Attribute `named` (the module with its name section); `shipped` is the module as written
    /// (the same with the name section stripped in production).
    pub fn attribute(named: &[u8], shipped: &[u8]) -> Result<SizeReport, String> {
        let mut report = SizeReport {
            total: shipped.len() as u64,
            gzip: gzip_len(shipped),
            ..SizeReport::default()
        };
        let mut imported_functions = 0u32;
        let mut bodies: Vec<u64> = Vec::new();
        let mut names: BTreeMap<u32, String> = BTreeMap::new();
        for payload in Parser::new(0).parse_all(named) {
            let payload = payload.map_err(|e| format!("reading the wasm module: {e}"))?;
            match payload {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            imported_functions += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => bodies.push(body.range().len() as u64),
                Payload::DataSection(data) => {
                    for segment in data {
                        report.data += segment.map_err(|e| e.to_string())?.data.len() as u64;
                    }
                }
                Payload::CustomSection(custom) => {
                    if let KnownCustom::Name(reader) = custom.as_known() {
                        read_function_names(reader, &mut names);
                    } else if shipped_has_custom(shipped, custom.name()) {
                        report
                            .custom
                            .insert(custom.name().to_string(), custom.data().len() as u64);
                    }
                }
                _ => {}
            }
        }
        report.code = bodies.iter().sum();
        let custom: u64 = report.custom.values().sum();
        report.other = report
            .total
            .saturating_sub(report.code + report.data + custom);
        report.functions = bodies
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let raw = names.get(&(imported_functions + i as u32));
                let (name, krate) = match raw {
                    Some(raw) => name_and_crate(raw),
                    None => ("(unnamed)".to_string(), "(unnamed)".to_string()),
                };
                Function { name, krate, size }
            })
            .collect();
        report
            .functions
            .sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
        Ok(report)
    }

    /// Code bytes by crate, largest first.
    pub fn by_crate(&self) -> Vec<CrateSize> {
        let mut crates: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
        for function in &self.functions {
            let entry = crates.entry(&function.krate).or_default();
            entry.0 += function.size;
            entry.1 += 1;
        }
        let mut list: Vec<CrateSize> = crates
            .into_iter()
            .map(|(krate, (size, functions))| CrateSize {
                krate: krate.to_string(),
                size,
                functions,
            })
            .collect();
        list.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.krate.cmp(&b.krate)));
        list
    }
}

fn shipped_has_custom(shipped: &[u8], name: &str) -> bool {
    Parser::new(0)
        .parse_all(shipped)
        .any(|p| matches!(p, Ok(Payload::CustomSection(c)) if c.name() == name))
}

fn read_function_names(
    reader: wasmparser::NameSectionReader<'_>,
    names: &mut BTreeMap<u32, String>,
) {
    for subsection in reader.into_iter().flatten() {
        if let Name::Function(map) = subsection {
            for naming in map.into_iter().flatten() {
                names.insert(naming.index, naming.name.to_string());
            }
        }
    }
}

/// The demangled name and the crate it belongs to. wasm-ld writes the name section demangled
/// already (v0 names keep their `[0123abcd]` crate disambiguators, dropped here); a mangled name
/// left over is demangled.
pub fn name_and_crate(raw: &str) -> (String, String) {
    let name = match rustc_demangle::try_demangle(raw) {
        Ok(demangled) => format!("{demangled:#}"),
        Err(_) => raw.to_string(),
    };
    let name = without_hash(&without_disambiguators(&name));
    let krate = crate_of(&name);
    (name, krate)
}

/// `matchit::tree::Node<T>::at::h29c03848383e6bd0` → `matchit::tree::Node<T>::at` (wasm-ld keeps
/// the legacy mangling's hash when it demangles).
fn without_hash(name: &str) -> String {
    match name.rsplit_once("::h") {
        Some((path, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            path.to_string()
        }
        _ => name.to_string(),
    }
}

/// `core[c5930c85a12de822]::fmt::write` → `core::fmt::write`.
fn without_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let close = rest[open..].find(']').map(|i| open + i);
        match close {
            Some(close)
                if close > open + 1
                    && rest[open + 1..close].bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                out.push_str(&rest[..open]);
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Names that are not Rust paths, by prefix.
const NON_RUST: &[(&str, &str)] = &[
    ("__wbindgen", "wasm-bindgen"),
    ("__wbg_", "wasm-bindgen"),
    ("__externref", "wasm-bindgen"),
    ("wasm_bindgen", "wasm-bindgen"),
    ("__rust_", "std"),
    ("__rdl_", "std"),
    ("__rg_", "std"),
    ("rust_", "std"),
    ("dlmalloc", "dlmalloc"),
    ("mem", "compiler_builtins"),
    ("__", "compiler_builtins"),
];

/// Types that are no crate's: an impl on them belongs to its trait's crate, or to `core`.
const PRIMITIVES: &[&str] = &[
    "str", "char", "bool", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64", "",
];

/// The first path segment of `path` and whether a `::` follows it.
fn first_segment(path: &str) -> (&str, bool) {
    let path = path.trim_start_matches(['<', '&', '*', '(', '[']);
    let path = path
        .trim_start_matches("mut ")
        .trim_start_matches("const ")
        .trim_start_matches("dyn ");
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    (&path[..end], path[end..].starts_with("::"))
}

/// `<worker::Error as core::fmt::Display>::fmt` → `worker`; `core::ptr::drop_in_place<hello::Foo>`
/// → `hello`; `<str as core::fmt::Debug>::fmt` → `core`; `memcpy` → `compiler_builtins`.
pub fn crate_of(name: &str) -> String {
    let path = name
        .strip_prefix("core::ptr::drop_in_place<")
        .unwrap_or(name);
    let (first, is_path) = first_segment(path);
    if is_path && !first.is_empty() {
        return first.to_string();
    }
    if path.starts_with('<') && (PRIMITIVES.contains(&first) || !is_path) {
        let trait_crate = path
            .find(" as ")
            .map(|at| first_segment(&path[at + 4..]))
            .filter(|(segment, is_path)| *is_path && !segment.is_empty());
        return trait_crate
            .map_or("core", |(segment, _)| segment)
            .to_string();
    }
    NON_RUST
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or_else(|| "(other)".to_string(), |(_, krate)| krate.to_string())
}

/// The module without its `name` section (the only section a production build kept so far
/// for this report), byte for byte otherwise.
pub fn strip_name_section(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(wasm.len());
    out.extend_from_slice(&wasm[..8.min(wasm.len())]);
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("reading the wasm module: {e}"))?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        if let Payload::CustomSection(custom) = &payload {
            if custom.name() == "name" {
                continue;
            }
        }
        out.push(id);
        leb128_u32(&mut out, range.len() as u32);
        out.extend_from_slice(&wasm[range]);
    }
    Ok(out)
}

fn leb128_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn gzip_len(bytes: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |v| v.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_come_from_the_first_path_segment() {
        assert_eq!(
            crate_of("<worker::Error as core::fmt::Display>::fmt"),
            "worker"
        );
        assert_eq!(
            crate_of("core::ptr::drop_in_place<hello::Counter>"),
            "hello"
        );
        assert_eq!(crate_of("serde_json::de::from_str"), "serde_json");
        assert_eq!(
            crate_of("<&mut serde_json::Serializer as serde::Serializer>::x"),
            "serde_json"
        );
        assert_eq!(crate_of("__wbindgen_malloc"), "wasm-bindgen");
        assert_eq!(crate_of("memcpy"), "compiler_builtins");
        assert_eq!(crate_of("main"), "(other)");
        assert_eq!(crate_of("<str as core::fmt::Debug>::fmt"), "core");
        assert_eq!(crate_of("<char>::escape_debug_ext"), "core");
        assert_eq!(crate_of("<u8 as serde::Serialize>::serialize"), "serde");
    }

    #[test]
    fn mangled_names_are_demangled_without_their_hash() {
        let (name, krate) = name_and_crate("_ZN4core3fmt5write17h0123456789abcdefE");
        assert_eq!(name, "core::fmt::write");
        assert_eq!(krate, "core");
    }

    #[test]
    fn disambiguators_are_dropped() {
        let (name, krate) =
            name_and_crate("<dlmalloc[e24a27700634d609]::Dlmalloc<x[ab]::Y>>::malloc");
        assert_eq!(name, "<dlmalloc::Dlmalloc<x::Y>>::malloc");
        assert_eq!(krate, "dlmalloc");
        assert_eq!(without_disambiguators("a[0]::b [x]"), "a::b [x]");
        assert_eq!(
            without_hash("m::Node<T>::at::h29c03848383e6bd0"),
            "m::Node<T>::at"
        );
        assert_eq!(without_hash("m::hello"), "m::hello");
    }

    #[test]
    fn leb128_matches_the_spec_examples() {
        let mut out = Vec::new();
        leb128_u32(&mut out, 624485);
        assert_eq!(out, [0xe5, 0x8e, 0x26]);
    }
}
