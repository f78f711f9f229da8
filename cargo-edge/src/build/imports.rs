//! Short import names for production: wasm-bindgen names every import the wasm module takes from
//! its glue `__wbg_<what>_<16 hex digits>` and writes each name twice, once in the wasm import
//! section and once as a key of the glue's import object, under the module `./index_bg.js`. The
//! hashes do not compress, and the two copies sit in different files, so gzip cannot share them.
//! Renaming both to `a`, `b`, … (and the module to `i`) changes nothing at runtime: the names only
//! pair the wasm's imports with the object's keys.
//!
//! The glue is edited only where it is known: the keys at the start of the lines of the
//! `const import0 = { … };` object (up to its last `};` line), and the `"./index_bg.js": import0` line that hands it to the
//! instance. When either is not found as expected, nothing is renamed.

use std::collections::HashMap;

/// The import module wasm-bindgen's glue provides, and its short replacement.
const GLUE_MODULE: &str = "./index_bg.js";
const SHORT_MODULE: &str = "i";

/// Rename the imports of `module` that the glue provides, and the glue's keys with them.
/// Returns the new glue, or `None` (and changes nothing) when the glue is not laid out as
/// expected.
pub fn shorten(module: &mut walrus::Module, glue: &str) -> Option<String> {
    let hand_over = format!("\"{GLUE_MODULE}\": import0,");
    if glue.matches(&hand_over).count() != 1 {
        return None;
    }
    let start = glue.find("const import0 = {")?;
    // The object ends at the last `};` line before it is handed over (bodies have their own).
    let end = start + glue.get(start..glue.find(&hand_over)?)?.rfind("\n};")?;
    let imported: std::collections::HashSet<&str> = module
        .imports
        .iter()
        .filter(|i| i.module == GLUE_MODULE)
        .map(|i| i.name.as_str())
        .collect();
    let mut renames: HashMap<String, String> = HashMap::new();
    let mut region = String::with_capacity(end - start);
    for line in glue[start..end].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let key_end = trimmed.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'));
        let renamed = key_end
            .filter(|&k| k > 0 && trimmed[k..].starts_with(": "))
            .map(|k| &trimmed[..k])
            .filter(|key| imported.contains(key))
            .map(|key| {
                let short = short_name(renames.len());
                renames.insert(key.to_string(), short.clone());
                format!("{short}{}", &trimmed[key.len()..])
            });
        region.push_str(renamed.as_deref().unwrap_or(line));
    }
    // Every import the glue provides must have been found, or the instance would not link.
    if renames.len() != imported.len() {
        return None;
    }
    for import in module
        .imports
        .iter_mut()
        .filter(|i| i.module == GLUE_MODULE)
    {
        import.name = renames[&import.name].clone();
        import.module = SHORT_MODULE.to_string();
    }
    let glue = format!("{}{region}{}", &glue[..start], &glue[end..]);
    Some(glue.replace(&hand_over, &format!("\"{SHORT_MODULE}\": import0,")))
}

/// `a`…`z`, `A`…`Z`, then `a0`, `b0`, …: short, and never a clash (they are object keys, where
/// even reserved words are allowed).
fn short_name(index: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::from(LETTERS[index % LETTERS.len()] as char);
    let mut rest = index / LETTERS.len();
    while rest > 0 {
        rest -= 1;
        name.push(char::from_digit((rest % 36) as u32, 36).expect("below 36"));
        rest /= 36;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_distinct() {
        let names: std::collections::HashSet<String> = (0..5000).map(short_name).collect();
        assert_eq!(names.len(), 5000);
        assert_eq!(short_name(0), "a");
        assert_eq!(short_name(52), "a0");
    }

    #[test]
    fn the_keys_and_the_wasm_imports_are_renamed_together() {
        let mut module = walrus::Module::default();
        let ty = module.types.add(&[], &[]);
        module.add_import_func(GLUE_MODULE, "__wbg_log_0123456789abcdef", ty);
        module.add_import_func(GLUE_MODULE, "__wbindgen_throw", ty);
        let glue = "function __wbg_get_imports() {\n    const import0 = {\n        __proto__: null,\n    \
                    __wbg_log_0123456789abcdef: function(a) {\nconsole.log(a);\n},\n__wbindgen_throw: function() { wasm.__wbindgen_throw(); },\n};\n    \
                    return {\n        \"./index_bg.js\": import0,\n    };\n}\n";
        let out = shorten(&mut module, glue).expect("renamed");
        assert!(out.contains("\na: function(a) {"), "{out}");
        assert!(
            out.contains("b: function() { wasm.__wbindgen_throw(); }"),
            "exports are left alone: {out}"
        );
        assert!(out.contains("\"i\": import0,"), "{out}");
        let names: Vec<(String, String)> = module
            .imports
            .iter()
            .map(|i| (i.module.clone(), i.name.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("i".to_string(), "a".to_string()),
                ("i".to_string(), "b".to_string())
            ]
        );
    }

    #[test]
    fn an_unknown_layout_renames_nothing() {
        let mut module = walrus::Module::default();
        let ty = module.types.add(&[], &[]);
        module.add_import_func(GLUE_MODULE, "__wbg_x", ty);
        assert_eq!(shorten(&mut module, "const imports = {};"), None);
        assert_eq!(module.imports.iter().next().unwrap().name, "__wbg_x");
    }
}
