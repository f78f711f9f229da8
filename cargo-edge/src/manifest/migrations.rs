//! Durable Object migrations replayed in order: every rename, delete and re-creation must make
//! sense, and every class this worker binds itself must exist after the last step.

use std::collections::{BTreeMap, BTreeSet};

use super::error::Problem;
use super::written::{EdgeTable, MigrationW, Text};

/// What the migrations have done so far.
#[derive(Default)]
struct Replay {
    live: BTreeSet<String>,
    /// Deleted (or renamed-away) classes, with the tag that removed them.
    gone: BTreeMap<String, String>,
    tags: BTreeSet<String>,
}

/// Replays the table's migrations, then checks its own Durable Object classes against them.
pub fn check_migrations(table: &EdgeTable, out: &mut Vec<Problem>) {
    let mut replay = Replay::default();
    for step in table.migrations.iter().flat_map(|m| &m.value) {
        replay.step(&step.value, out);
    }
    for (binding, object) in &table.durable_objects {
        let Some(class) = &object.value.class else {
            continue;
        };
        if object.value.worker.is_some() || replay.live.contains(&class.value) {
            continue;
        }
        out.push(missing_class(binding, class, &replay));
    }
}

impl Replay {
    fn step(&mut self, step: &MigrationW, out: &mut Vec<Problem>) {
        let tag = step
            .tag
            .as_ref()
            .map_or("?", |t| t.value.as_str())
            .to_string();
        if let Some(t) = &step.tag {
            if !self.tags.insert(t.value.clone()) {
                out.push(
                    Problem::error("migration_tag", &t.loc, format!("migration tag `{}` is used twice", t.value))
                        .label("duplicate tag")
                        .help("every migration needs its own tag; Cloudflare applies the steps after the tag it last saw"),
                );
            }
        }
        for class in step.new_classes.iter().chain(&step.new_sqlite_classes) {
            self.create(class, out);
        }
        for renamed in &step.renamed_classes {
            if let (Some(from), Some(to)) = (&renamed.value.from, &renamed.value.to) {
                self.rename(from, to, &tag, out);
            }
        }
        for class in &step.deleted_classes {
            self.delete(class, &tag, out);
        }
    }

    fn create(&mut self, class: &Text, out: &mut Vec<Problem>) {
        let name = &class.value;
        if self.live.contains(name) {
            out.push(problem(
                class,
                format!("class `{name}` is created twice"),
                "already created",
                "create a class in one migration only; later migrations rename or delete it",
            ));
        } else if let Some(tag) = self.gone.get(name) {
            out.push(problem(class, format!("class `{name}` was deleted or renamed away in migration `{tag}` and cannot be created again"), "name already used", "Cloudflare keeps deleted class names; choose a new class name"));
        } else {
            self.live.insert(name.clone());
        }
    }

    fn rename(&mut self, from: &Text, to: &Text, tag: &str, out: &mut Vec<Problem>) {
        if !self.live.contains(&from.value) {
            let why = self.why_absent(&from.value);
            out.push(problem(
                from,
                format!("migration `{tag}` renames `{}`, which {why}", from.value),
                "no such class",
                "rename only a class an earlier migration (or this one) created",
            ));
            return;
        }
        if self.live.contains(&to.value) || self.gone.contains_key(&to.value) {
            out.push(problem(
                to,
                format!(
                    "migration `{tag}` renames `{}` to `{}`, a name already in use",
                    from.value, to.value
                ),
                "name taken",
                "choose a class name no migration has used",
            ));
            return;
        }
        self.live.remove(&from.value);
        self.gone.insert(from.value.clone(), tag.to_string());
        self.live.insert(to.value.clone());
    }

    fn delete(&mut self, class: &Text, tag: &str, out: &mut Vec<Problem>) {
        if self.live.remove(&class.value) {
            self.gone.insert(class.value.clone(), tag.to_string());
            return;
        }
        let why = self.why_absent(&class.value);
        out.push(problem(
            class,
            format!("migration `{tag}` deletes `{}`, which {why}", class.value),
            "no such class",
            "delete only a class that exists at this point; remove this entry",
        ));
    }

    fn why_absent(&self, class: &str) -> String {
        match self.gone.get(class) {
            Some(tag) => format!("was already deleted or renamed in migration `{tag}`"),
            None => "no earlier migration created".to_string(),
        }
    }
}

fn problem(at: &Text, message: String, label: &str, help: &str) -> Problem {
    Problem::error("migrations", &at.loc, message)
        .label(label)
        .help(help)
}

fn missing_class(binding: &str, class: &Text, replay: &Replay) -> Problem {
    let name = &class.value;
    let mut n = replay.tags.len() + 1;
    while replay.tags.contains(&format!("v{n}")) {
        n += 1;
    }
    let message = match replay.gone.get(name) {
        Some(tag) => format!("Durable Object `{binding}` uses class `{name}`, which migration `{tag}` deleted or renamed"),
        None => format!("Durable Object `{binding}` uses class `{name}`, which appears in no migration"),
    };
    // Only Cloudflare's deploy needs the migration: dev and build go on (see `super::strict`).
    Problem::warning(
        "durable_object_migration",
        &class.loc,
        format!("{message}; `cargo edge deploy` will refuse it"),
    )
    .label("no migration creates this class")
        .help(format!(
            "Cloudflare creates Durable Object classes through migrations; add one:\n\n    [[package.metadata.edge.migrations]]\n    tag = \"v{n}\"\n    new_sqlite_classes = [\"{name}\"]\n\nor, if the class lives in another worker, set `worker = \"<that worker>\"`"
        ))
}
