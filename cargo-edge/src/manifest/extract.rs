//! From the toml_edit tree to the as-written types. Runs after the shape check, so it reports
//! nothing itself: a value of the wrong shape was already reported and reads as absent.

use toml_edit::{Item, TableLike};

use super::read::{elements, to_json, At};
use super::source::{Loc, Spanned};
use super::written::{
    Bindings, BuildW, ConsumerW, DurableObjectW, EdgeTable, KvW, MigrationW, ProducerW, RenamedW,
    RouteW, ServiceW, D1W, R2W,
};

/// Reads an edge table (package, environment or workspace) written at `loc`.
pub fn edge_table(table: &dyn TableLike, loc: &Loc) -> EdgeTable {
    let at = At::new(table, loc);
    let queues = at.table("queues");
    let queues = queues.as_ref().map(|(table, loc)| At::new(*table, loc));
    EdgeTable {
        loc: Some(loc.clone()),
        name: at.string("name"),
        account_id: at.string("account_id"),
        compatibility_date: at.date("compatibility_date"),
        compatibility_flags: at.strings("compatibility_flags"),
        workers_dev: at.boolean("workers_dev"),
        routes: list(&at, "routes", route),
        domains: at.strings("domains"),
        crons: at.strings("crons"),
        secrets: at.strings("secrets"),
        content_hash_binding: at.string("content_hash_binding"),
        vars: at
            .entries("vars")
            .into_iter()
            .map(|(k, l, item)| (k, Spanned::new(to_json(item), l)))
            .collect(),
        kv: bindings(&at, "kv", kv),
        d1: bindings(&at, "d1", d1),
        r2: bindings(&at, "r2", r2),
        producers: queues.map_or_else(Bindings::new, |q| bindings(&q, "producers", producer)),
        consumers: queues.map_or_else(Bindings::new, |q| bindings(&q, "consumers", consumer)),
        services: bindings(&at, "services", service),
        durable_objects: bindings(&at, "durable_objects", durable_object),
        migrations: list(&at, "migrations", migration),
        build: at
            .table("build")
            .map_or_else(BuildW::default, |(t, l)| build(At::new(t, &l))),
        assets: super::assets::extract(&at),
        env: bindings(&at, "env", edge_table),
    }
}

/// Each entry of the table `name` read with `read`, keyed by name, located at its key.
fn bindings<T>(at: &At, name: &str, read: fn(&dyn TableLike, &Loc) -> T) -> Bindings<T> {
    at.entries(name)
        .into_iter()
        .filter_map(|(key, loc, item)| {
            let value = read(item.as_table_like()?, &loc);
            Some((key, Spanned::new(value, loc)))
        })
        .collect()
}

/// The array `name`, each element read with `read` (elements of the wrong shape are skipped).
fn list<T>(
    at: &At,
    name: &str,
    read: fn(&Item, &Loc) -> Option<T>,
) -> Option<Spanned<Vec<Spanned<T>>>> {
    let (item, loc) = at.item(name)?;
    let values = elements(item, &loc)
        .into_iter()
        .filter_map(|(item, l)| Some(Spanned::new(read(&item, &l)?, l)))
        .collect();
    (item.is_array() || item.is_array_of_tables()).then(|| Spanned::new(values, loc))
}

fn route(item: &Item, loc: &Loc) -> Option<RouteW> {
    if let Some(pattern) = item.as_str() {
        let pattern = Spanned::new(pattern.to_string(), loc.clone());
        return Some(RouteW {
            pattern,
            zone_name: None,
            zone_id: None,
        });
    }
    let at = At::new(item.as_table_like()?, loc);
    Some(RouteW {
        pattern: at.string("pattern")?,
        zone_name: at.string("zone_name"),
        zone_id: at.string("zone_id"),
    })
}

fn kv(table: &dyn TableLike, loc: &Loc) -> KvW {
    let at = At::new(table, loc);
    KvW {
        id: at.string("id"),
        title: at.string("title"),
    }
}

fn d1(table: &dyn TableLike, loc: &Loc) -> D1W {
    let at = At::new(table, loc);
    D1W {
        id: at.string("id"),
        database: at.string("database"),
        migrations: at.string("migrations"),
    }
}

fn r2(table: &dyn TableLike, loc: &Loc) -> R2W {
    let at = At::new(table, loc);
    R2W {
        bucket: at.string("bucket"),
        jurisdiction: at.string("jurisdiction"),
    }
}

fn producer(table: &dyn TableLike, loc: &Loc) -> ProducerW {
    let at = At::new(table, loc);
    ProducerW {
        queue: at.string("queue"),
        delivery_delay: at.int("delivery_delay"),
    }
}

fn consumer(table: &dyn TableLike, loc: &Loc) -> ConsumerW {
    let at = At::new(table, loc);
    ConsumerW {
        max_batch_size: at.int("max_batch_size"),
        max_wait_ms: at.int("max_wait_ms"),
        max_retries: at.int("max_retries"),
        retry_delay: at.int("retry_delay"),
        dead_letter_queue: at.string("dead_letter_queue"),
        max_concurrency: at.int("max_concurrency"),
    }
}

fn service(table: &dyn TableLike, loc: &Loc) -> ServiceW {
    let at = At::new(table, loc);
    ServiceW {
        worker: at.string("worker"),
        entrypoint: at.string("entrypoint"),
        url: at.string("url"),
    }
}

fn durable_object(table: &dyn TableLike, loc: &Loc) -> DurableObjectW {
    let at = At::new(table, loc);
    DurableObjectW {
        class: at.string("class"),
        worker: at.string("worker"),
    }
}

fn migration(item: &Item, loc: &Loc) -> Option<MigrationW> {
    let at = At::new(item.as_table_like()?, loc);
    let strings = |name| at.strings(name).map(|s| s.value).unwrap_or_default();
    Some(MigrationW {
        tag: at.string("tag"),
        new_classes: strings("new_classes"),
        new_sqlite_classes: strings("new_sqlite_classes"),
        renamed_classes: list(&at, "renamed_classes", renamed)
            .map(|l| l.value)
            .unwrap_or_default(),
        deleted_classes: strings("deleted_classes"),
    })
}

fn renamed(item: &Item, loc: &Loc) -> Option<RenamedW> {
    let at = At::new(item.as_table_like()?, loc);
    Some(RenamedW {
        from: at.string("from"),
        to: at.string("to"),
    })
}

fn build(at: At) -> BuildW {
    BuildW {
        profile: at.string("profile"),
        features: at.strings("features"),
        no_default_features: at.boolean("no_default_features"),
        wasm_opt: at.boolean("wasm_opt"),
    }
}
