//! Plain conversions from the as-written types to the model's, where nothing can go wrong any
//! more (the checks have run): defaults filled in, spans dropped.

use std::collections::BTreeMap;

use super::source::Spanned;
use super::written::{ConsumerW, EdgeTable, MigrationW, RouteW, ServiceW, Text};
use crate::model::{self, QueueConsumer, Var};

pub fn text(t: &Option<Text>) -> Option<String> {
    t.as_ref().map(|t| t.value.clone())
}

pub fn texts(list: Option<&Vec<Text>>) -> Vec<String> {
    list.map_or_else(Vec::new, |l| l.iter().map(|t| t.value.clone()).collect())
}

pub fn map<W, M>(
    bindings: &BTreeMap<String, Spanned<W>>,
    mut f: impl FnMut(&str, &W) -> M,
) -> BTreeMap<String, M> {
    bindings
        .iter()
        .map(|(k, v)| (k.clone(), f(k, &v.value)))
        .collect()
}

pub fn var(value: &serde_json::Value) -> Var {
    match value {
        serde_json::Value::String(s) => Var::Text(s.clone()),
        other => Var::Json(other.clone()),
    }
}

pub fn route(route: &RouteW) -> model::Route {
    let zone = match (&route.zone_name, &route.zone_id) {
        (Some(name), _) => Some(model::Zone::Name(name.value.clone())),
        (None, Some(id)) => Some(model::Zone::Id(id.value.clone())),
        (None, None) => None,
    };
    model::Route {
        pattern: route.pattern.value.clone(),
        zone,
    }
}

pub fn producers(table: &EdgeTable) -> BTreeMap<String, model::QueueProducer> {
    let each = table.producers.iter().filter_map(|(k, p)| {
        let producer = model::QueueProducer {
            queue: p.value.queue.as_ref()?.value.clone(),
            delivery_delay: p
                .value
                .delivery_delay
                .as_ref()
                .and_then(|d| u32::try_from(d.value).ok()),
        };
        Some((k.clone(), producer))
    });
    each.collect()
}

pub fn consumer(queue: &str, c: &ConsumerW) -> QueueConsumer {
    let d = QueueConsumer::with_defaults(queue);
    let num = |v: &Option<Spanned<i64>>, default: u32| {
        v.as_ref()
            .and_then(|v| u32::try_from(v.value).ok())
            .unwrap_or(default)
    };
    QueueConsumer {
        max_batch_size: num(&c.max_batch_size, d.max_batch_size),
        max_wait_ms: num(&c.max_wait_ms, d.max_wait_ms),
        max_retries: num(&c.max_retries, d.max_retries),
        retry_delay: num(&c.retry_delay, d.retry_delay),
        dead_letter_queue: text(&c.dead_letter_queue),
        max_concurrency: c
            .max_concurrency
            .as_ref()
            .and_then(|v| u32::try_from(v.value).ok()),
        queue: d.queue,
    }
}

pub fn service(s: &ServiceW) -> Option<model::Service> {
    match (&s.worker, &s.url) {
        (Some(worker), _) => Some(model::Service::Worker {
            worker: worker.value.clone(),
            entrypoint: text(&s.entrypoint),
        }),
        (None, Some(url)) => Some(model::Service::External {
            url: url.value.clone(),
        }),
        (None, None) => None,
    }
}

pub fn durable_objects(table: &EdgeTable) -> BTreeMap<String, model::DurableObject> {
    let each = table.durable_objects.iter().filter_map(|(k, d)| {
        let object = model::DurableObject {
            class: d.value.class.as_ref()?.value.clone(),
            worker: text(&d.value.worker),
        };
        Some((k.clone(), object))
    });
    each.collect()
}

pub fn migration(m: &MigrationW) -> model::Migration {
    let names = |l: &Vec<Text>| l.iter().map(|t| t.value.clone()).collect();
    model::Migration {
        tag: text(&m.tag).unwrap_or_default(),
        new_classes: names(&m.new_classes),
        new_sqlite_classes: names(&m.new_sqlite_classes),
        renamed_classes: m
            .renamed_classes
            .iter()
            .filter_map(|r| {
                Some(model::RenamedClass {
                    from: text(&r.value.from)?,
                    to: text(&r.value.to)?,
                })
            })
            .collect(),
        deleted_classes: names(&m.deleted_classes),
    }
}

pub fn build(table: &EdgeTable) -> model::BuildSettings {
    let b = &table.build;
    model::BuildSettings {
        profile: text(&b.profile),
        features: texts(b.features.as_ref().map(|f| &f.value)),
        no_default_features: b.no_default_features.as_ref().is_some_and(|v| v.value),
        wasm_opt: b.wasm_opt.as_ref().is_none_or(|v| v.value),
    }
}
