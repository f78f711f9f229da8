//! Minifying the JavaScript of a production bundle in-process: wasm-bindgen's glue, the shim
//! and the snippets, with oxc (parser, minifier, code generator).
//!
//! Why oxc (`oxc_minifier` 0.102, the newest release that builds with this workspace's
//! rust-version 1.89): `minify-js` 0.6, the other well-known Rust minifier, cannot parse the glue
//! (`import source wasmModule from "./index_bg.wasm"`, the source-phase import wasm-bindgen
//! writes) and has had no release since 2023; oxc minifies hello's glue in about 10 ms, 47 → 29 KB
//! with names kept (7.9 → 6.0 KB gzip). The price is compile time: about 2½ minutes of one core on
//! a clean build, against 20 s for minify-js.
//!
//! The settings keep what the runtime and the shim rely on: class names (exported classes are
//! Durable Objects, and wasm-bindgen's glue prints `constructor.name` in debug strings),
//! `console` calls, and every export's name. Module-private top-level names are mangled (an ES
//! module's exports keep their names). The target is ES2022, which workerd runs, so nothing newer
//! is introduced.

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_minifier::{
    CompressOptions, CompressOptionsKeepNames, MangleOptions, MangleOptionsKeepNames, Minifier,
    MinifierOptions,
};
use oxc_parser::Parser;
use oxc_span::SourceType;

/// Minify one ES module. A parse error is returned as text (the module is then kept as it was
/// by the caller): the input is generated, so this is a bug to report, not a user error.
pub fn minify(source: &str) -> Result<String, String> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    if let Some(error) = parsed.errors.first() {
        return Err(error.to_string());
    }
    let mut program = parsed.program;
    let mut compress = CompressOptions::smallest();
    compress.target =
        oxc_compat::EngineTargets::from_target("es2022").map_err(|e| e.to_string())?;
    compress.keep_names = CompressOptionsKeepNames {
        function: false,
        class: true,
    };
    let options = MinifierOptions {
        mangle: Some(MangleOptions {
            top_level: true,
            keep_names: MangleOptionsKeepNames {
                function: false,
                class: true,
            },
            ..MangleOptions::default()
        }),
        compress: Some(compress),
    };
    let minified = Minifier::new(options).minify(&allocator, &mut program);
    let code = Codegen::new()
        .with_options(CodegenOptions::minify())
        .with_scoping(minified.scoping)
        .build(&program)
        .code;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_and_names_survive_and_comments_go() {
        let source = r#"
            // a comment that costs bytes
            export class Counter { constructor(value) { this.value = value; } }
            export function add(first, second) { const total = first + second; return total; }
            function helper() { return "kept"; }
            export const name = helper.name + Counter.name;
        "#;
        let out = minify(source).unwrap();
        assert!(!out.contains("comment"), "{out}");
        assert!(out.contains("class Counter"), "{out}");
        assert!(out.contains("add"), "{out}");
        assert!(out.len() < source.len() / 2, "{out}");
    }

    #[test]
    fn a_syntax_error_is_reported_not_panicked() {
        assert!(minify("export function (").is_err());
    }
}
