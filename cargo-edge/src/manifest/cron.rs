//! A small validator for five-field cron expressions as Cloudflare accepts them: minute, hour,
//! day of month, month (1-12 or JAN-DEC), day of week (0-6 or SUN-SAT); `*`, lists, ranges, steps.

/// One cron field: its name, range and optional names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: DAYS,
    },
];

/// Checks a cron expression; the error says which field is wrong and why.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let parts: Vec<&str> = expr.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "a cron has 5 fields (minute hour day-of-month month day-of-week), this one has {}",
            parts.len()
        ));
    }
    for (part, field) in parts.iter().zip(FIELDS.iter()) {
        for item in part.split(',') {
            check_item(item, field).map_err(|e| format!("{} field `{part}`: {e}", field.name))?;
        }
    }
    Ok(())
}

/// One comma-separated item: `*`, `N`, `A-B`, each optionally followed by `/STEP`.
fn check_item(item: &str, field: &Field) -> Result<(), String> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (item, None),
    };
    if let Some(step) = step {
        match step.parse::<u32>() {
            Ok(n) if n >= 1 && n <= field.max.max(1) => {}
            _ => return Err(format!("`{step}` is not a valid step (1..={})", field.max)),
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (value(a, field)?, value(b, field)?);
            if a > b {
                return Err(format!("the range `{range}` runs backwards"));
            }
            Ok(())
        }
        None => value(range, field).map(|_| ()),
    }
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = field.names.iter().position(|n| *n == upper) {
        return Ok(field.min + i as u32);
    }
    match text.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} is outside {}..={}", field.min, field.max)),
        Err(_) if text.is_empty() => Err("a value is missing".to_string()),
        Err(_) => Err(format!("`{text}` is not a number{}", names_hint(field))),
    }
}

fn names_hint(field: &Field) -> String {
    match field.names {
        [] => String::new(),
        names => format!(" or one of {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::check_cron;

    #[test]
    fn accepts_what_cloudflare_accepts() {
        for ok in [
            "*/5 * * * *",
            "0 0 1 JAN,jul MON-FRI",
            "15,45 8-18/2 * * 0",
            "0 12 31 12 6",
        ] {
            assert!(check_cron(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_with_the_field_named() {
        assert!(check_cron("* * * *").unwrap_err().contains("5 fields"));
        assert!(check_cron("60 * * * *").unwrap_err().starts_with("minute"));
        assert!(check_cron("* 24 * * *").unwrap_err().starts_with("hour"));
        assert!(check_cron("* * 0 * *")
            .unwrap_err()
            .starts_with("day of month"));
        assert!(check_cron("* * * FOO *").unwrap_err().contains("JAN"));
        assert!(check_cron("* * * * 7")
            .unwrap_err()
            .starts_with("day of week"));
        assert!(check_cron("*/0 * * * *").is_err());
        assert!(check_cron("5-1 * * * *").is_err());
        assert!(check_cron("1,,2 * * * *").is_err());
    }
}
