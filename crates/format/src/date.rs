//! ISO 8601 calendar dates, full or partial (`2021-06-02`, `2021-06`, `2021`): checked for
//! real (four-digit year, month 1–12, a day that month has, 29 February only in leap years)
//! and written in words (`2 Juni 2021`, `Juni 2021`, `2021`).

use std::fmt;

use crate::Notation;

/// A valid ISO 8601 calendar date in the extended format, to the day, the month or the
/// year. Only what [`IsoDate::parse`] accepts can be built, so a value is always a real
/// date of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate {
    year: u16,
    /// 1–12, or none for a year.
    month: Option<u8>,
    /// 1–31 as the month allows, or none for a year or a month. Never set without `month`.
    day: Option<u8>,
}

impl IsoDate {
    /// The years a date can have: four digits, as ISO 8601 writes them without the
    /// expanded representation (no sign, no fifth digit).
    pub const YEARS: std::ops::RangeInclusive<u16> = 0..=9999;

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, ASCII digits only, with a real month and a day
    /// the month has. Anything else (`2021-6-2`, `2021/06/02`, `+2021`, `2021-02-29`,
    /// full-width digits, surrounding spaces) is `None`.
    pub fn parse(text: &str) -> Option<IsoDate> {
        let bytes = text.as_bytes();
        let year = digits(bytes.get(0..4)?)?;
        let (month, day) = match bytes.len() {
            4 => (None, None),
            7 if bytes[4] == b'-' => (Some(digits(&bytes[5..7])?), None),
            10 if bytes[4] == b'-' && bytes[7] == b'-' => {
                (Some(digits(&bytes[5..7])?), Some(digits(&bytes[8..10])?))
            }
            _ => return None,
        };
        let date = IsoDate {
            year,
            month: month.map(u8::try_from).transpose().ok()?,
            day: day.map(u8::try_from).transpose().ok()?,
        };
        date.is_real().then_some(date)
    }

    fn is_real(&self) -> bool {
        let year_ok = Self::YEARS.contains(&self.year);
        match (self.month, self.day) {
            (None, None) => year_ok,
            (Some(month), None) => year_ok && (1..=12).contains(&month),
            (Some(month), Some(day)) => {
                year_ok
                    && (1..=12).contains(&month)
                    && (1..=days_in_month(self.year, month)).contains(&day)
            }
            (None, Some(_)) => false,
        }
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    /// 1–12, or `None` for a date to the year.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day of the month, or `None` for a date to the year or the month.
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// Days from 1970-01-01 to this date (negative before it), for a date to the day;
    /// `None` for a partial date, which names no single day.
    pub fn days_since_unix_epoch(&self) -> Option<i64> {
        let (month, day) = (i64::from(self.month?), i64::from(self.day?));
        // Howard Hinnant's days_from_civil: years start in March, so the leap day is last.
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let march_based_month = (month + 9) % 12;
        let day_of_year = (153 * march_based_month + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        Some(era * 146_097 + day_of_era - 719_468)
    }

    /// The date in words: `2 Juni 2021`, `Juni 2021`, `2021` (`2 June 2021`).
    pub fn in_words(&self, notation: Notation) -> String {
        let month_name = |month: u8| {
            let names = match notation {
                Notation::Indonesian => &MONTHS_ID,
                Notation::English => &MONTHS_EN,
            };
            names[usize::from(month - 1)]
        };
        match (self.month, self.day) {
            (Some(month), Some(day)) => format!("{day} {} {:04}", month_name(month), self.year),
            (Some(month), None) => format!("{} {:04}", month_name(month), self.year),
            _ => format!("{:04}", self.year),
        }
    }
}

/// The ISO form it was parsed from: `2021-06-02`, `2021-06`, `2021`.
impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
        }
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        Ok(())
    }
}

/// An ISO date in words (`2 Juni 2021`, `Juni 2021`, `2021`); any text that is not a valid
/// ISO date (`Mei 2015`, `kemarin`, `2021-02-30`) comes back as it is, so a reader still
/// sees what the source wrote.
pub fn date(text: &str, notation: Notation) -> String {
    match IsoDate::parse(text) {
        Some(date) => date.in_words(notation),
        None => text.to_string(),
    }
}

/// Leap years of the Gregorian calendar: every fourth, except centuries not divisible by
/// 400 (2000 and 2024 are, 1900 and 2023 are not).
pub fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// How many days `month` (1–12) of `year` has; 0 for a month that does not exist.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => 0,
    }
}

/// ASCII digits as a number; `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u16> {
    bytes.iter().try_fold(0u16, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u16::from(b - b'0'))
    })
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[cfg(test)]
mod tests {
    use super::*;
    use Notation::{English, Indonesian};

    #[test]
    fn full_and_partial_dates_are_parsed() {
        let day = IsoDate::parse("2021-06-02").unwrap();
        assert_eq!(
            (day.year(), day.month(), day.day()),
            (2021, Some(6), Some(2))
        );
        let month = IsoDate::parse("2015-05").unwrap();
        assert_eq!(
            (month.year(), month.month(), month.day()),
            (2015, Some(5), None)
        );
        let year = IsoDate::parse("1977").unwrap();
        assert_eq!((year.year(), year.month(), year.day()), (1977, None, None));
        for text in ["2021-06-02", "2015-05", "1977", "0000", "9999-12-31"] {
            assert_eq!(IsoDate::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn the_year_is_four_ascii_digits() {
        for bad in [
            "21",
            "202",
            "20215",
            "+2021",
            "-2021",
            "+021-06-02",
            "-021-06-02",
            "20x1",
            "20x1-06-02",
            "abcd-06",
            " 2021",
            "2021 ",
            "２０２１",
            "２０２１-06-02",
            "",
        ] {
            assert_eq!(IsoDate::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn months_and_days_must_exist() {
        for bad in [
            "2021-00",
            "2021-13",
            "2021-00-10",
            "2021-13-01",
            "2021-06-00",
            "2021-06-31",
            "2021-04-31",
            "2021-01-32",
            "2023-02-29",
            "1900-02-29",
            "2021-6-2",
            "2021-06-2",
            "2021/06/02",
            "2021-06-02T00:00",
            "2021-+6-02",
            "2021--6-02",
        ] {
            assert_eq!(IsoDate::parse(bad), None, "{bad:?}");
        }
        for good in [
            "2024-02-29",
            "2000-02-29",
            "2021-01-31",
            "2021-12-31",
            "2021-04-30",
        ] {
            assert!(IsoDate::parse(good).is_some(), "{good:?}");
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(0));
        assert!(!is_leap_year(2023) && !is_leap_year(1900) && !is_leap_year(2100));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2021, 6), 30);
        assert_eq!(days_in_month(2021, 7), 31);
        assert_eq!(days_in_month(2021, 13), 0);
        assert_eq!(days_in_month(2021, 0), 0);
    }

    #[test]
    fn days_since_the_unix_epoch() {
        let days = |text| IsoDate::parse(text).and_then(|d| d.days_since_unix_epoch());
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2021-06-02"), Some(18_780));
        assert_eq!(days("2000-02-29"), Some(11_016));
        assert_eq!(days("2000-03-01"), Some(11_017));
        assert_eq!(days("1969-12-31"), Some(-1));
        assert_eq!(days("1900-01-01"), Some(-25_567));
        assert_eq!(days("0000-01-01"), Some(-719_528));
        assert_eq!(days("2021-02-29"), None);
        assert_eq!(days("2021-06"), None);
        assert_eq!(days("2021"), None);
    }

    #[test]
    fn dates_in_words() {
        // The Bimtek at UPT Logam Purbalingga, Wednesday 2 June 2021.
        assert_eq!(date("2021-06-02", Indonesian), "2 Juni 2021");
        assert_eq!(date("2021-06-02", English), "2 June 2021");
        assert_eq!(date("2022-08-30", Indonesian), "30 Agustus 2022");
        assert_eq!(date("2015-05", Indonesian), "Mei 2015");
        assert_eq!(date("2015-05", English), "May 2015");
        assert_eq!(date("2017", Indonesian), "2017");
        assert_eq!(date("0987-01-05", English), "5 January 0987");
        let months: Vec<String> = (1..=12)
            .map(|m| date(&format!("2021-{m:02}"), Indonesian))
            .collect();
        assert_eq!(
            months.iter().map(|m| &m[..m.len() - 5]).collect::<Vec<_>>(),
            [
                "Januari",
                "Februari",
                "Maret",
                "April",
                "Mei",
                "Juni",
                "Juli",
                "Agustus",
                "September",
                "Oktober",
                "November",
                "Desember"
            ]
        );
    }

    #[test]
    fn text_that_is_not_a_date_is_kept() {
        for text in [
            "Mei 2015",
            "kemarin",
            "2021-02-30",
            "20x1-06-02",
            "+021-06-02",
            "",
        ] {
            assert_eq!(date(text, Indonesian), text);
        }
    }
}
