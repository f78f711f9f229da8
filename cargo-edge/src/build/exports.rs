//! What the worker exports, read from the wasm module's export section and confirmed against
//! wasm-bindgen's own declaration of its JS interface.
//!
//! The wasm module is the source of truth for *what* exists: a free `#[wasm_bindgen]` function
//! is exported under its JS name, every class has a `__wbg_<class>_free` export and its methods
//! are exported as `<class>_<method>`. wasm-bindgen lower-cases class names in these symbols and
//! keeps some classes private to its glue, so the public JS spelling comes from the declarations
//! wasm-bindgen generated (`export class Counter`), matched case-insensitively.
//!
//! A Durable Object class is one with a constructor (`<class>_new`) and a `fetch` method, the
//! two things the `worker` crate's `DurableObject` trait always provides.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Handler names the runtime calls with `(event, env, ctx)`.
pub const HANDLERS: &[&str] = &["fetch", "scheduled", "queue", "email", "connect"];

/// Functions the `worker` crate exports for the shim itself, never exposed as RPC.
pub const SYSTEM_FUNCTIONS: &[&str] = &["__wbg_reset_state", "__worker_init_state"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exports {
    /// Event handlers (`fetch`, `scheduled`, ...), wired onto the entrypoint.
    pub handlers: Vec<String>,
    /// Every other exported free function, exposed as an RPC method on the entrypoint.
    pub rpc: Vec<String>,
    /// Every exported class, re-exported from the main module.
    pub classes: Vec<String>,
    /// The classes that are Durable Objects.
    pub durable_objects: Vec<String>,
}

impl Exports {
    /// Read the exports of a module wasm-bindgen has processed, with its TypeScript declarations.
    pub fn find(module: &walrus::Module, declarations: &str) -> Exports {
        let declared = Declarations::parse(declarations);
        let wasm_exports: BTreeSet<&str> = module.exports.iter().map(|e| e.name.as_str()).collect();

        let mut classes = Vec::new();
        let mut durable_objects = Vec::new();
        for lower in wasm_exports
            .iter()
            .filter_map(|name| class_of_free_export(name))
        {
            // Classes wasm-bindgen keeps private (`declare class`) are not declared as exports.
            let Some(class) = declared.classes.iter().find(|c| c.to_lowercase() == lower) else {
                continue;
            };
            let has = |method: &str| wasm_exports.contains(format!("{lower}_{method}").as_str());
            if has("new") && has("fetch") {
                durable_objects.push(class.clone());
            }
            classes.push(class.clone());
        }

        let mut handlers = Vec::new();
        let mut rpc = Vec::new();
        for function in &declared.functions {
            if !wasm_exports.contains(function.as_str())
                || SYSTEM_FUNCTIONS.contains(&function.as_str())
            {
                continue;
            }
            if HANDLERS.contains(&function.as_str()) {
                handlers.push(function.clone());
            } else {
                rpc.push(function.clone());
            }
        }
        handlers.sort_by_key(|h| HANDLERS.iter().position(|known| known == h));
        rpc.sort();
        classes.sort();
        durable_objects.sort();
        Exports {
            handlers,
            rpc,
            classes,
            durable_objects,
        }
    }
}

/// `__wbg_counter_free` → `counter`.
fn class_of_free_export(name: &str) -> Option<&str> {
    name.strip_prefix("__wbg_")?
        .strip_suffix("_free")
        .filter(|class| !class.is_empty())
}

/// The names wasm-bindgen declares in its `.d.ts`: one declaration per line, as it writes them.
#[derive(Debug, Default)]
struct Declarations {
    functions: Vec<String>,
    classes: Vec<String>,
}

impl Declarations {
    fn parse(text: &str) -> Declarations {
        let mut declarations = Declarations::default();
        for line in text.lines().map(str::trim_start) {
            if let Some(rest) = line.strip_prefix("export class ") {
                declarations.classes.extend(identifier(rest));
            } else if let Some(rest) = line.strip_prefix("export function ") {
                declarations.functions.extend(identifier(rest));
            }
        }
        declarations
    }
}

/// The JS identifier at the start of `text`.
fn identifier(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_read_line_by_line() {
        let d = Declarations::parse(
            "/* tslint:disable */\nexport function fetch(req: any, env: any, ctx: any): Promise<any>;\n\
             export class Counter {\n  free(): void;\n}\nexport function add(a: number, b: number): number;\n",
        );
        assert_eq!(d.functions, ["fetch", "add"]);
        assert_eq!(d.classes, ["Counter"]);
    }

    #[test]
    fn free_exports_name_classes() {
        assert_eq!(class_of_free_export("__wbg_counter_free"), Some("counter"));
        assert_eq!(class_of_free_export("__wbg_free"), None);
        assert_eq!(class_of_free_export("counter_fetch"), None);
    }
}
