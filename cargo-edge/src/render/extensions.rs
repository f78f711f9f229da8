//! Modules Cloudflare's runtime provides that open-source workerd does not: each becomes an entry
//! of the config's `extensions` (the way Miniflare supplies them), rendered only for a config
//! whose workers need it.
//!
//! Of the `cloudflare:*` modules the `worker` crate (0.8.7) and its wasm-bindgen glue import —
//! `cloudflare:email`, `cloudflare:sockets`, `cloudflare:node`, and `cloudflare:workers` from the
//! shim — workerd ships every one, but `cloudflare:email` re-exports `EmailMessage` from
//! `cloudflare-internal:email`, which only Cloudflare's runtime has: without it the worker fails
//! at start-up with `No such module "cloudflare-internal:email"`.
//!
//! To add a module (a wrapped binding's implementation, say), add an [`InternalModule`] to
//! [`MODULES`] with the test that says when a config needs it.

use std::fmt::Write;

use super::capnp::{quote, Unit};

/// One module added to workerd.
pub struct InternalModule {
    /// Its import specifier, e.g. `cloudflare-internal:email`.
    pub name: &'static str,
    /// Its ES module source.
    pub source: &'static str,
    /// Importable only by other modules (workerd's and extensions'), not by user code.
    pub internal: bool,
    /// Whether a config with these units needs it.
    pub needed: fn(&[Unit]) -> bool,
}

/// Every module cargo-edge can add.
pub const MODULES: &[InternalModule] = &[
    InternalModule {
        name: "cloudflare-internal:email",
        source: EMAIL_JS,
        internal: true,
        needed: imports_email,
    },
    // The wrapped bindings of the kinds in `crate::kinds` (AI, rate limits, …).
    InternalModule {
        name: super::capnp_kinds::MODULE,
        source: super::capnp_kinds::SOURCE,
        internal: true,
        needed: super::capnp_kinds::needed,
    },
];

/// `EmailMessage` as production constructs it: `new EmailMessage(from, to, raw)` with `raw` a
/// string or a `ReadableStream`, `from` and `to` read-only. The raw message stays reachable by
/// extension modules (a `send_email` binding) through `rawOf(message)`.
const EMAIL_JS: &str = r#"const RAW = Symbol.for("cargo-edge.email.raw");
class EmailMessage {
  #from;
  #to;
  constructor(from, to, raw) {
    this.#from = String(from);
    this.#to = String(to);
    Object.defineProperty(this, RAW, {
      value: raw instanceof ReadableStream ? raw : String(raw),
    });
  }
  get from() { return this.#from; }
  get to() { return this.#to; }
}
function rawOf(message) { return message[RAW]; }
export default { EmailMessage, rawOf };
"#;

/// The `extensions = [...]` field for `units`, or nothing when none is needed.
pub fn render(units: &[Unit]) -> String {
    field(MODULES.iter().filter(|m| (m.needed)(units)))
}

/// The `extensions` field for a config of bare modules with no bindings (`cargo edge build`'s
/// startup measurement), given the text of each JS module: only the modules their imports need.
pub fn for_module_texts(texts: &[String]) -> String {
    let email = texts.iter().any(|text| mentions(text, "cloudflare:email"));
    field(
        MODULES
            .iter()
            .filter(|m| email && m.name == "cloudflare-internal:email"),
    )
}

fn field<'a>(modules: impl Iterator<Item = &'a InternalModule>) -> String {
    let modules: Vec<String> = modules
        .map(|m| {
            format!(
                "(name = {}, esModule = {}, internal = {})",
                quote(m.name),
                quote(m.source),
                m.internal
            )
        })
        .collect();
    let mut out = String::new();
    if !modules.is_empty() {
        let _ = writeln!(
            out,
            "  extensions = [(modules = [{}])],",
            modules.join(", ")
        );
    }
    out
}

/// Whether any JS module of a unit's bundle imports `specifier`.
pub fn imports(units: &[Unit], specifier: &str) -> bool {
    units.iter().any(|unit| {
        unit.bundle.modules.iter().any(|module| {
            module.name.ends_with(".js") || module.name.ends_with(".mjs")
        } && std::fs::read_to_string(unit.bundle.module_path(module))
            .is_ok_and(|text| mentions(&text, specifier)))
    })
}

/// `from "x"`, `from 'x'`, `import("x")` and `import "x"`, without parsing the module.
fn mentions(text: &str, specifier: &str) -> bool {
    ['"', '\'']
        .iter()
        .any(|q| text.contains(&format!("{q}{specifier}{q}")))
}

fn imports_email(units: &[Unit]) -> bool {
    imports(units, "cloudflare:email")
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_specifiers_are_found() {
        assert!(super::mentions(
            "import { EmailMessage } from 'cloudflare:email';",
            "cloudflare:email"
        ));
        assert!(super::mentions(
            "from \"cloudflare:email\"",
            "cloudflare:email"
        ));
        assert!(!super::mentions("cloudflare:emails", "cloudflare:email"));
    }

    #[test]
    fn no_units_need_no_extensions() {
        assert_eq!(super::render(&[]), "");
    }

    #[test]
    fn bare_modules_get_the_email_module_only_when_they_import_it() {
        let glue = "import { EmailMessage } from \"cloudflare:email\";".to_string();
        let field = super::for_module_texts(&[glue]);
        assert!(field.contains("cloudflare-internal:email"), "{field}");
        assert!(
            !field.contains(super::super::capnp_kinds::MODULE),
            "{field}"
        );
        assert_eq!(super::for_module_texts(&["export default {}".into()]), "");
    }
}
