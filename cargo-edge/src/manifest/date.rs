//! `compatibility_date`: `YYYY-MM-DD`, a real calendar date, and not after today (UTC).

use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Why a compatibility date was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    Format,
    /// Of that form, but no such day (e.g. `2025-02-30`).
    NoSuchDay,
    /// After today.
    Future { today: Date },
}

/// Parses and checks a compatibility date against `today`.
pub fn check_compatibility_date(text: &str, today: Date) -> Result<Date, DateError> {
    let date = parse(text).ok_or(DateError::Format)?;
    if date.month == 0 || date.month > 12 || date.day == 0 || date.day > days_in_month(date) {
        return Err(DateError::NoSuchDay);
    }
    if date > today {
        return Err(DateError::Future { today });
    }
    Ok(date)
}

fn parse(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    Some(Date {
        year: text.get(0..4)?.parse().ok()?,
        month: text.get(5..7)?.parse().ok()?,
        day: text.get(8..10)?.parse().ok()?,
    })
}

fn days_in_month(date: Date) -> u32 {
    let leap = (date.year % 4 == 0 && date.year % 100 != 0) || date.year % 400 == 0;
    match date.month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Today's date in UTC.
pub fn today_utc() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// The calendar date `days` after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 1,
        day: 15,
    };

    #[test]
    fn accepts_real_past_dates_only() {
        assert!(check_compatibility_date("2024-02-29", TODAY).is_ok());
        assert_eq!(
            check_compatibility_date("2025-02-29", TODAY),
            Err(DateError::NoSuchDay)
        );
        assert_eq!(
            check_compatibility_date("2025-13-01", TODAY),
            Err(DateError::NoSuchDay)
        );
        assert_eq!(
            check_compatibility_date("2025-1-01", TODAY),
            Err(DateError::Format)
        );
        assert_eq!(
            check_compatibility_date("２０２５-01-01", TODAY),
            Err(DateError::Format)
        );
        assert!(matches!(
            check_compatibility_date("2026-01-16", TODAY),
            Err(DateError::Future { .. })
        ));
    }

    #[test]
    fn converts_days_to_dates() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_454).to_string(), "2026-01-01");
        assert_eq!(civil_from_days(11_016).to_string(), "2000-02-29");
    }
}
