//! Five-field cron expressions (`minute hour day-of-month month day-of-week`, in UTC, as
//! Cloudflare evaluates them) and the next time one fires.
//!
//! Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names
//! `JAN`–`DEC` and weekday names `SUN`–`SAT` (0 and 7 are Sunday). As in Vixie cron, when both
//! day fields are restricted a day matches if either does.

use super::error::{DevError, Result};

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_restricted: bool,
    weekdays_restricted: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    /// Parse `expr`.
    pub fn parse(expr: &str) -> Result<Cron> {
        let bad = |reason: String| DevError::Cron {
            expr: expr.to_string(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let [min, hour, day, month, weekday] = fields[..] else {
            return Err(bad(format!("expected 5 fields, found {}", fields.len())));
        };
        let mut weekdays = field(weekday, 0, 7, &WEEKDAYS, 0).map_err(&bad)?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & !(1 << 7);
        }
        Ok(Cron {
            minutes: field(min, 0, 59, &[], 0).map_err(&bad)?,
            hours: field(hour, 0, 23, &[], 0).map_err(&bad)?,
            days: field(day, 1, 31, &[], 0).map_err(&bad)?,
            months: field(month, 1, 12, &MONTHS, 1).map_err(&bad)?,
            weekdays,
            days_restricted: !day.starts_with('*'),
            weekdays_restricted: !weekday.starts_with('*'),
        })
    }

    /// The first minute strictly after `after_ms` (ms since the epoch) at which this fires.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let mut minute = after_ms.div_euclid(60_000) + 1;
        // Every pattern that can fire does so within about 28 years (leap days on a weekday).
        let limit = minute + 60 * 24 * 366 * 30;
        while minute < limit {
            let days = minute.div_euclid(1440);
            let (_, month, day) = civil_from_days(days);
            if !self.day_matches(days, month, day) {
                minute = (days + 1) * 1440;
                continue;
            }
            let of_day = minute - days * 1440;
            if self.hours & (1 << (of_day / 60)) == 0 {
                minute = minute - of_day % 60 + 60;
                continue;
            }
            if self.minutes & (1 << (of_day % 60)) != 0 {
                return Some(minute * 60_000);
            }
            minute += 1;
        }
        None
    }

    fn day_matches(&self, days: i64, month: u32, day: u32) -> bool {
        if self.months & (1 << month) == 0 {
            return false;
        }
        let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday.
        let by_day = self.days & (1 << day) != 0;
        let by_weekday = self.weekdays & (1 << weekday) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_day || by_weekday,
            _ => by_day && by_weekday,
        }
    }
}

/// One field as a bit set of the values it allows.
fn field(
    text: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    name_base: u32,
) -> std::result::Result<u64, String> {
    let value = |v: &str| -> std::result::Result<u32, String> {
        let upper = v.to_ascii_uppercase();
        let n = match names.iter().position(|n| *n == upper) {
            Some(i) => i as u32 + name_base,
            None => v.parse().map_err(|_| format!("`{v}` is not a number"))?,
        };
        match (lo..=hi).contains(&n) {
            true => Ok(n),
            false => Err(format!("{n} is outside {lo}-{hi}")),
        }
    };
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or(format!("bad step in `{part}`"))?,
            ),
            None => (part, 1),
        };
        let (start, end) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        if start > end {
            return Err(format!("range `{range}` runs backwards"));
        }
        bits |= (start..=end)
            .step_by(step as usize)
            .fold(0, |b, v| b | 1 << v);
    }
    Ok(bits)
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Hinnant's civil algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::Cron;

    /// 2026-11-23 18:19:00 UTC, a Monday.
    const T: i64 = 1_795_457_940_000;

    fn next(expr: &str, after: i64) -> i64 {
        Cron::parse(expr).unwrap().next_after(after).unwrap()
    }

    #[test]
    fn computes_next_fire_times() {
        assert_eq!(super::civil_from_days(T / 86_400_000), (2026, 11, 23));
        assert_eq!(next("* * * * *", T), T + 60_000);
        assert_eq!(next("*/5 * * * *", T), T + 60_000);
        assert_eq!(next("0 * * * *", T), T + 41 * 60_000);
        assert_eq!(next("30 9 * * MON-FRI", T), T + (15 * 60 + 11) * 60_000);
        assert_eq!(next("0 0 1 JAN *", T), 1_798_761_600_000);
        assert_eq!(next("0 0 29 2 *", T), 1_835_395_200_000); // 2028-02-29
        assert_eq!(next("0 12 * * 0", T), next("0 12 * * 7", T));
    }

    #[test]
    fn refuses_bad_expressions() {
        for bad in [
            "* * * *",
            "60 * * * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "* * * FOO *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }
}
