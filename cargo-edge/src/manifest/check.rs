//! The shape check: walks the toml_edit tree against [`keys`](super::keys) and reports every
//! unknown key (with did-you-mean), wrong type, out-of-range number and missing required key.

use toml_edit::{Item, Key as TomlKey, TableLike, Value};

use super::error::Problem;
use super::keys::{Key, Shape};
use super::source::Loc;
use super::suggest::did_you_mean;

/// Checks `item` against `shape`, appending problems; `loc` is where `item` was written.
pub fn check(item: &Item, shape: &Shape, loc: &Loc, out: &mut Vec<Problem>) {
    match shape {
        Shape::Any => {}
        Shape::Str => expect(item.as_str().is_some(), "a string", item, loc, out),
        Shape::Bool => expect(item.as_bool().is_some(), "a boolean", item, loc, out),
        Shape::Int { min, max } => check_int(item, *min, *max, loc, out),
        Shape::OneOf(allowed) => check_one_of(item, allowed, loc, out),
        Shape::Number { min, max } => check_number(item, *min, *max, loc, out),
        Shape::Word(words) => check_word(item, words, loc, out),
        Shape::Date => {
            let date = matches!(item.as_value(), Some(Value::Datetime(_)));
            expect(
                date || item.as_str().is_some(),
                "a date string",
                item,
                loc,
                out,
            )
        }
        Shape::List(inner) => check_list(item, inner, loc, out),
        Shape::Table(keys) => match item.as_table_like() {
            Some(table) => check_table(table, keys, loc, out),
            None => wrong_type("a table", item, loc, out),
        },
        Shape::Map { value, .. } => match item.as_table_like() {
            Some(table) => check_map(table, value, loc, out),
            None => wrong_type("a table", item, loc, out),
        },
        Shape::BoolOr(inner) => match item.as_bool() {
            Some(_) => {}
            None if item.is_array() => check(item, inner, loc, out),
            None => wrong_type("a boolean or an array", item, loc, out),
        },
        Shape::StrOr(keys) => match item.as_table_like() {
            Some(table) => check_table(table, keys, loc, out),
            None => expect(
                item.as_str().is_some(),
                "a string or a table",
                item,
                loc,
                out,
            ),
        },
    }
}

/// Checks a table with fixed keys: unknown keys, each known key's shape, required keys.
pub fn check_table(table: &dyn TableLike, keys: &[Key], loc: &Loc, out: &mut Vec<Problem>) {
    for (name, item) in table.iter() {
        let key_loc = child(table, name, loc);
        match keys.iter().find(|k| k.name == name) {
            Some(known) => check(item, &known.shape, &value_loc(item, &key_loc), out),
            None => out.push(unknown_key(name, keys, &key_loc)),
        }
    }
    for missing in keys
        .iter()
        .filter(|k| k.required && !table.contains_key(k.name))
    {
        out.push(
            Problem::error(
                "missing_key",
                loc,
                format!(
                    "`{}` is missing the required key `{}`",
                    loc.key, missing.name
                ),
            )
            .label(format!("`{}` is required here", missing.name))
            .help(format!("add `{} = ...`: {}", missing.name, missing.doc)),
        );
    }
}

fn check_map(table: &dyn TableLike, value: &Shape, loc: &Loc, out: &mut Vec<Problem>) {
    for (name, item) in table.iter() {
        let key_loc = child(table, name, loc);
        check(item, value, &value_loc(item, &key_loc), out);
    }
}

fn check_list(item: &Item, inner: &Shape, loc: &Loc, out: &mut Vec<Problem>) {
    if let Some(tables) = item.as_array_of_tables() {
        for (i, table) in tables.iter().enumerate() {
            let elem = loc.child(&i.to_string(), table.span());
            check(&Item::Table(table.clone()), inner, &elem, out);
        }
    } else if let Some(array) = item.as_array() {
        for (i, value) in array.iter().enumerate() {
            let elem = loc.child(&i.to_string(), value.span());
            check(&Item::Value(value.clone()), inner, &elem, out);
        }
    } else {
        wrong_type("an array", item, loc, out);
    }
}

fn check_int(item: &Item, min: i64, max: i64, loc: &Loc, out: &mut Vec<Problem>) {
    let Some(n) = item.as_integer() else {
        return wrong_type("an integer", item, loc, out);
    };
    if n < min || n > max {
        out.push(
            Problem::error(
                "out_of_range",
                loc,
                format!(
                    "`{}` is {n}, outside the allowed range {min}..={max}",
                    loc.key
                ),
            )
            .label(format!("must be between {min} and {max}"))
            .help(format!("Cloudflare accepts {min} to {max} here")),
        );
    }
}

fn check_one_of(item: &Item, allowed: &[i64], loc: &Loc, out: &mut Vec<Problem>) {
    let Some(n) = item.as_integer() else {
        return wrong_type("an integer", item, loc, out);
    };
    if !allowed.contains(&n) {
        let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
        out.push(
            Problem::error(
                "out_of_range",
                loc,
                format!("`{}` is {n}, not one of {}", loc.key, list.join(", ")),
            )
            .label(format!("must be one of {}", list.join(", ")))
            .help(format!(
                "Cloudflare accepts only {} here",
                list.join(" or ")
            )),
        );
    }
}

fn check_number(item: &Item, min: f64, max: f64, loc: &Loc, out: &mut Vec<Problem>) {
    let n = match item.as_value() {
        Some(Value::Float(f)) => *f.value(),
        Some(Value::Integer(i)) => *i.value() as f64,
        _ => return wrong_type("a number", item, loc, out),
    };
    if !(min..=max).contains(&n) {
        out.push(
            Problem::error(
                "out_of_range",
                loc,
                format!(
                    "`{}` is {n}, outside the allowed range {min}..={max}",
                    loc.key
                ),
            )
            .label(format!("must be between {min} and {max}"))
            .help(format!("Cloudflare accepts {min} to {max} here")),
        );
    }
}

fn check_word(item: &Item, words: &[&str], loc: &Loc, out: &mut Vec<Problem>) {
    let Some(word) = item.as_str() else {
        return wrong_type("a string", item, loc, out);
    };
    if !words.contains(&word) {
        let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
        out.push(
            Problem::error(
                "unknown_value",
                loc,
                format!(
                    "`{}` is \"{word}\", not one of {}",
                    loc.key,
                    quoted.join(", ")
                ),
            )
            .label("unknown value")
            .help(format!("write {}", quoted.join(" or "))),
        );
    }
}

fn expect(ok: bool, expected: &str, item: &Item, loc: &Loc, out: &mut Vec<Problem>) {
    if !ok {
        wrong_type(expected, item, loc, out);
    }
}

fn wrong_type(expected: &str, item: &Item, loc: &Loc, out: &mut Vec<Problem>) {
    let found = type_name(item);
    out.push(
        Problem::error(
            "wrong_type",
            loc,
            format!("`{}` must be {expected}, found {found}", loc.key),
        )
        .label(format!("expected {expected}"))
        .help(format!("write {expected} here")),
    );
}

/// wrangler's spelling of keys this table names differently: (wrangler's, ours, how to write it).
/// A wrangler user's muscle memory beats edit distance (`max_batch_timeout` is not a typo of
/// `max_batch_size`).
const WRANGLER_SPELLINGS: &[(&str, &str, &str)] = &[
    (
        "max_batch_timeout",
        "max_wait_ms",
        "in milliseconds: wrangler's `max_batch_timeout = 1` (seconds) is `max_wait_ms = 1000`",
    ),
    ("database_name", "database", "the same value"),
    ("database_id", "id", "the same value"),
    ("migrations_dir", "migrations", "the same folder"),
    ("bucket_name", "bucket", "the same value"),
    ("class_name", "class", "the same value"),
    ("script_name", "worker", "the worker's name"),
    ("service", "worker", "the worker's name"),
];

fn wrangler_spelling(name: &str, known: &[&str]) -> Option<String> {
    WRANGLER_SPELLINGS
        .iter()
        .find(|(theirs, ours, _)| *theirs == name && known.contains(ours))
        .map(|(theirs, ours, how)| {
            format!("`{theirs}` is wrangler's name; here it is `{ours}` ({how})")
        })
}

fn unknown_key(name: &str, keys: &[Key], loc: &Loc) -> Problem {
    let known: Vec<&str> = keys.iter().map(|k| k.name).collect();
    let help = if known.is_empty() {
        "this table takes no keys: leave it empty, `{}`".to_string()
    } else if let Some(help) = wrangler_spelling(name, &known) {
        help
    } else {
        match did_you_mean(name, &known) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("known keys here: {}", known.join(", ")),
        }
    };
    Problem::error("unknown_key", loc, format!("unknown key `{}`", loc.key))
        .label("unknown key")
        .help(help)
}

/// The location of the key `name` of `table` (its span is the key itself).
pub fn child(table: &dyn TableLike, name: &str, loc: &Loc) -> Loc {
    let span = table.get_key_value(name).and_then(|(k, _)| key_span(k));
    loc.child(name, span)
}

/// The same key path, spanned on the value when toml_edit kept the value's span.
pub fn value_loc(item: &Item, key_loc: &Loc) -> Loc {
    Loc {
        span: item.span().or_else(|| key_loc.span.clone()),
        ..key_loc.clone()
    }
}

fn key_span(key: &TomlKey) -> Option<std::ops::Range<usize>> {
    key.span()
}

/// "a string", "an integer", ...: what the user wrote, in words.
pub fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) | Item::Value(Value::InlineTable(_)) => "a table",
        Item::ArrayOfTables(_) | Item::Value(Value::Array(_)) => "an array",
        Item::Value(Value::String(_)) => "a string",
        Item::Value(Value::Integer(_)) => "an integer",
        Item::Value(Value::Float(_)) => "a float",
        Item::Value(Value::Boolean(_)) => "a boolean",
        Item::Value(Value::Datetime(_)) => "a date-time",
    }
}

#[cfg(test)]
mod wrangler_spelling_tests {
    use super::*;

    #[test]
    fn a_wrangler_key_is_named_for_what_it_is_here() {
        let known = ["max_batch_size", "max_wait_ms", "max_retries"];
        let help = wrangler_spelling("max_batch_timeout", &known).unwrap();
        assert!(help.contains("`max_wait_ms = 1000`"), "{help}");
        // Only where this table has the key: `service` is no hint in a table without `worker`.
        assert_eq!(wrangler_spelling("service", &known), None);
        assert_eq!(wrangler_spelling("max_batch_sise", &known), None);
    }
}
