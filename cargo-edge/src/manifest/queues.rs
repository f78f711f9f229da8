//! Queue names as Cloudflare accepts them: 1 to 63 lower-case letters, digits and dashes,
//! starting and ending with a letter or digit (its API answers anything else with code 11003,
//! `Must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`). A warning for build and dev, an error on
//! deploy. Checked wherever a queue is named: a producer's
//! `queue`, a consumer's table key and its `dead_letter_queue`.

use super::error::Problem;
use super::source::Loc;
use super::written::EdgeTable;

/// Every queue name the table writes, checked.
pub fn check_queue_names(table: &EdgeTable, out: &mut Vec<Problem>) {
    let producers = table
        .producers
        .values()
        .filter_map(|p| p.value.queue.as_ref());
    for queue in producers {
        check_queue_name(&queue.value, &queue.loc, out);
    }
    for (name, consumer) in &table.consumers {
        check_queue_name(name, &consumer.loc, out);
        if let Some(dlq) = &consumer.value.dead_letter_queue {
            check_queue_name(&dlq.value, &dlq.loc, out);
        }
    }
}

fn check_queue_name(name: &str, loc: &Loc, out: &mut Vec<Problem>) {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let ends_ok = !name.starts_with('-') && !name.ends_with('-');
    if (1..=63).contains(&name.len()) && name.chars().all(allowed) && ends_ok {
        return;
    }
    let suggestion: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .collect();
    let suggestion = suggestion.trim_matches('-');
    let example = if suggestion.is_empty() {
        "image-processing"
    } else {
        suggestion
    };
    out.push(
        // Dev and build run it (the local queue takes any name); deploy refuses (`super::strict`).
        Problem::warning(
            "queue_name",
            loc,
            format!("`{name}` is not a valid queue name; Cloudflare refuses it, so `cargo edge deploy` will"),
        )
        .label("lower-case letters, digits and dashes only")
        .help(format!(
            "Cloudflare's rule is ^[a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?$ (1 to 63 characters of a-z, 0-9 and `-`, not starting or ending with `-`); rename it, e.g. `{example}`"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::source::Source;
    use std::path::Path;

    fn problems(name: &str) -> usize {
        let source = Source::new(Path::new("Cargo.toml"), "Cargo.toml", String::new());
        let loc = Loc {
            source,
            span: None,
            key: String::new(),
        };
        let mut out = Vec::new();
        check_queue_name(name, &loc, &mut out);
        out.len()
    }

    #[test]
    fn accepts_cloudflare_queue_names_only() {
        assert_eq!(problems("image-processing"), 0);
        assert_eq!(problems("q1"), 0);
        for bad in [
            "",
            "Jobs",
            "image_processing",
            "-jobs",
            "jobs-",
            &"a".repeat(64),
        ] {
            assert_eq!(problems(bad), 1, "{bad:?}");
        }
    }
}
