//! KV namespace ids as Cloudflare issues them: 32 hexadecimal digits. A placeholder such as
//! `"EXAMPLE"` (from docs or a wrangler.toml) is a warning for `build` and `dev`, which run the
//! namespace locally under any id (as `wrangler dev` does), and an error on `deploy` and
//! `deploy --dry-run` (`super::strict`): the upload would name a namespace that does not exist.

use super::error::Problem;
use super::written::EdgeTable;

/// Every `kv.NAME.id` the table writes, checked.
pub fn check_kv_ids(table: &EdgeTable, out: &mut Vec<Problem>) {
    for (binding, kv) in &table.kv {
        let Some(id) = &kv.value.id else { continue };
        if is_namespace_id(&id.value) {
            continue;
        }
        out.push(
            Problem::warning(
                "kv_id",
                &id.loc,
                format!(
                    "`{}` is not a KV namespace id: `{}`; `cargo edge deploy` refuses it",
                    id.loc.key, id.value
                ),
            )
            .label("expected 32 hexadecimal digits")
            .help(format!(
                "write the namespace's id (`cargo edge kv namespace list` prints them), or remove `id` and deploy finds or creates the namespace by its title (default `<worker>-{}`)",
                binding.to_ascii_lowercase().replace('_', "-")
            )),
        );
    }
}

/// Whether `id` is 32 hexadecimal digits, the shape of every KV namespace id.
fn is_namespace_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_namespace_id;

    /// Dev and build load it with a warning; deploy (and its dry run) refuses it.
    #[test]
    fn a_placeholder_id_loads_with_a_warning_and_stops_a_deploy() {
        let text = "[package]\nname = \"api\"\n[package.metadata.edge]\ncompatibility_date = \"2025-01-01\"\n[package.metadata.edge.env.prod.kv]\nCACHE = { id = \"EXAMPLE\" }\n";
        let path = std::path::Path::new("Cargo.toml");
        let loaded = crate::manifest::parse_str(text, path, None).expect("loads");
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert_eq!(loaded.warnings[0].code, "kv_id");
        let refused = crate::manifest::strict::refuse_deploy(&loaded.warnings).unwrap_err();
        assert!(refused.problems[0].is_error());
    }

    #[test]
    fn only_32_hex_digits_are_namespace_ids() {
        assert!(is_namespace_id("0f2ac74b498b48028cb68387c421e279"));
        assert!(is_namespace_id("0F2AC74B498B48028CB68387C421E279"));
        for bad in [
            "",
            "EXAMPLE",
            "0f2ac74b498b48028cb68387c421e27",
            "0f2ac74b498b48028cb68387c421e2790",
            "0f2ac74b-498b-4802-8cb6-8387c421e279",
            "zf2ac74b498b48028cb68387c421e279",
        ] {
            assert!(!is_namespace_id(bad), "{bad:?}");
        }
    }
}
