//! How long conversation records are kept: they hold the transcripts, what customers and
//! agents wrote, which a contact center must not keep for ever (`[storage]
//! transcript_retention_days`). Pure: which day files are past it is decided here, from the
//! days and today's date; `file.rs` lists and deletes.

use jiff::Span;
use jiff::civil::Date;

/// Keep a day's conversation records for this many days after that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Retention {
    /// Kept for `days` days; `None` for 0, which would delete a day's records as they are
    /// written (the configuration refuses it).
    pub fn days(days: u32) -> Option<Retention> {
        (days > 0).then_some(Retention { days })
    }

    /// How many days.
    pub fn in_days(self) -> u32 {
        self.days
    }

    /// The oldest day whose records are kept on `today`: today and the `days` days before it
    /// are kept, so a record is kept for at least `days` whole days after the day it ended.
    /// `None` when that is before any date (nothing is ever old enough).
    pub fn oldest_kept(self, today: Date) -> Option<Date> {
        let span = Span::new().try_days(i64::from(self.days)).ok()?;
        today.checked_sub(span).ok()
    }

    /// Whether the records of `day` are past retention on `today`.
    pub fn expired(self, day: Date, today: Date) -> bool {
        self.oldest_kept(today).is_some_and(|oldest| day < oldest)
    }

    /// The days among `days` whose records are past retention on `today`, in their order.
    pub fn past(self, today: Date, days: impl IntoIterator<Item = Date>) -> Vec<Date> {
        days.into_iter()
            .filter(|day| self.expired(*day, today))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn zero_days_is_no_retention_at_all() {
        assert_eq!(Retention::days(0), None);
        assert_eq!(Retention::days(30).map(Retention::in_days), Some(30));
    }

    #[test]
    fn today_and_the_days_before_it_are_kept_and_anything_older_goes() {
        let thirty = Retention::days(30).unwrap();
        // On 31 March, 30 days back is 1 March: kept; 28 February goes.
        assert_eq!(
            thirty.oldest_kept(day("2026-03-31")),
            Some(day("2026-03-01"))
        );
        let files = [
            day("2026-01-15"),
            day("2026-02-28"),
            day("2026-03-01"),
            day("2026-03-30"),
            day("2026-03-31"),
            // A day after today (a clock set back): not past anything.
            day("2026-04-02"),
        ];
        assert_eq!(
            thirty.past(day("2026-03-31"), files),
            [day("2026-01-15"), day("2026-02-28")]
        );
        // One day: yesterday is kept, the day before goes.
        let one = Retention::days(1).unwrap();
        assert_eq!(
            one.past(
                day("2026-03-10"),
                [day("2026-03-08"), day("2026-03-09"), day("2026-03-10")]
            ),
            [day("2026-03-08")]
        );
    }

    #[test]
    fn a_retention_across_a_leap_day_counts_calendar_days() {
        let seven = Retention::days(7).unwrap();
        assert_eq!(
            seven.oldest_kept(day("2028-03-03")),
            Some(day("2028-02-25"))
        );
        assert!(seven.expired(day("2028-02-24"), day("2028-03-03")));
        assert!(!seven.expired(day("2028-02-25"), day("2028-03-03")));
    }

    #[test]
    fn a_retention_longer_than_the_calendar_keeps_everything() {
        let forever = Retention::days(u32::MAX).unwrap();
        assert_eq!(forever.oldest_kept(day("2026-03-10")), None);
        assert!(
            forever
                .past(day("2026-03-10"), [day("0001-01-01")])
                .is_empty()
        );
    }
}
