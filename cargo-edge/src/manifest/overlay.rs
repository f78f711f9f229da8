//! Layering edge tables: workspace defaults under the package table, and an environment over
//! both. Scalars and lists are replaced, binding tables merge by binding name (an entry replaces
//! that binding whole), `vars` merge by key and `build` merges key by key.

use std::collections::BTreeMap;

use super::written::{BuildW, EdgeTable};

/// `top` over `base`: what `top` sets wins; everything else is inherited from `base`.
pub fn overlay(base: &EdgeTable, top: &EdgeTable) -> EdgeTable {
    EdgeTable {
        loc: top.loc.clone().or_else(|| base.loc.clone()),
        name: pick(&top.name, &base.name),
        account_id: pick(&top.account_id, &base.account_id),
        compatibility_date: pick(&top.compatibility_date, &base.compatibility_date),
        compatibility_flags: pick(&top.compatibility_flags, &base.compatibility_flags),
        workers_dev: pick(&top.workers_dev, &base.workers_dev),
        routes: pick(&top.routes, &base.routes),
        domains: pick(&top.domains, &base.domains),
        crons: pick(&top.crons, &base.crons),
        secrets: pick(&top.secrets, &base.secrets),
        content_hash_binding: pick(&top.content_hash_binding, &base.content_hash_binding),
        vars: merge(&base.vars, &top.vars),
        kv: merge(&base.kv, &top.kv),
        d1: merge(&base.d1, &top.d1),
        r2: merge(&base.r2, &top.r2),
        producers: merge(&base.producers, &top.producers),
        consumers: merge(&base.consumers, &top.consumers),
        services: merge(&base.services, &top.services),
        durable_objects: merge(&base.durable_objects, &top.durable_objects),
        migrations: pick(&top.migrations, &base.migrations),
        build: build(&base.build, &top.build),
        assets: pick(&top.assets, &base.assets),
        env: BTreeMap::new(),
    }
}

fn pick<T: Clone>(top: &Option<T>, base: &Option<T>) -> Option<T> {
    top.clone().or_else(|| base.clone())
}

fn merge<T: Clone>(base: &BTreeMap<String, T>, top: &BTreeMap<String, T>) -> BTreeMap<String, T> {
    let mut merged = base.clone();
    merged.extend(top.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

fn build(base: &BuildW, top: &BuildW) -> BuildW {
    BuildW {
        profile: pick(&top.profile, &base.profile),
        features: pick(&top.features, &base.features),
        no_default_features: pick(&top.no_default_features, &base.no_default_features),
        wasm_opt: pick(&top.wasm_opt, &base.wasm_opt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::source::{Loc, Source, Spanned};
    use crate::manifest::written::KvW;
    use std::path::Path;

    fn text(s: &str) -> Spanned<String> {
        let source = Source::new(Path::new("Cargo.toml"), "Cargo.toml", String::new());
        Spanned::new(
            s.to_string(),
            Loc {
                source,
                span: None,
                key: String::new(),
            },
        )
    }

    #[test]
    fn env_replaces_scalars_and_merges_bindings_by_name() {
        let kv = |id: &str| {
            text("k").map(|_| KvW {
                id: Some(text(id)),
                title: None,
            })
        };
        let mut base = EdgeTable {
            name: Some(text("api")),
            ..EdgeTable::default()
        };
        base.kv.insert("A".into(), kv("a"));
        base.kv.insert("B".into(), kv("b"));
        let mut top = EdgeTable {
            account_id: Some(text("acc")),
            ..EdgeTable::default()
        };
        top.kv.insert("B".into(), kv("b2"));
        let merged = overlay(&base, &top);
        assert_eq!(merged.name.map(|n| n.value).as_deref(), Some("api"));
        assert_eq!(merged.account_id.map(|n| n.value).as_deref(), Some("acc"));
        let ids: Vec<_> = merged
            .kv
            .values()
            .map(|k| k.value.id.clone().unwrap().value)
            .collect();
        assert_eq!(ids, ["a", "b2"]);
    }
}
