//! The wallboards' message ticker: one line of text a supervisor puts on every wallboard of the
//! tenant ("Billing system down, tell callers we call back"), until it is replaced or cleared.
//! It is tenant state in the core rather than the server's, so it is journaled, replayed and
//! replicated like every other command, and a restart, a reload or another node of a cluster
//! shows the same message.

use std::fmt;

use jiff::Timestamp;

use super::Acd;
use super::error::AcdError;
use super::event::Event;

/// The most characters (not bytes) a ticker may hold: what a wallboard can show in two lines
/// from across the room, and a tweet's length, which people know how to write to.
pub const MAX_TICKER_CHARS: usize = 280;

/// The message shown now, with who set it and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ticker {
    /// Trimmed, never empty: an empty text clears the ticker instead.
    pub text: String,
    /// The supervisor's user name, as it signed in: the floor asks them about it.
    pub by: String,
    /// When it was set: a ticker left from yesterday reads differently from one of a minute ago.
    pub at: Timestamp,
}

/// Which rule a refused ticker broke (`bad_ticker` on the wire, one code for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TickerFault {
    TooLong {
        max_chars: usize,
    },
    /// A newline, a tab or another control character: a ticker is one line of plain text.
    ControlCharacter,
}

impl fmt::Display for TickerFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TickerFault::TooLong { max_chars } => write!(
                f,
                "a wallboard message may hold at most {max_chars} characters"
            ),
            TickerFault::ControlCharacter => f.write_str(
                "a wallboard message is one line of text: no newlines, tabs or other control \
                 characters",
            ),
        }
    }
}

/// Whether `c` breaks a line or is otherwise no printable text: Unicode's control characters
/// (newline, tab, ...) and its line and paragraph separators.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

impl Acd {
    /// `by` sets the ticker to `text`, trimmed; an empty one clears it. The same text again, or
    /// a clear with nothing shown, changes nothing (no event): the ticker stays as it was, with
    /// who set it first.
    pub(crate) fn set_ticker(&mut self, text: &str, by: &str) -> Result<(), AcdError> {
        let text = text.trim();
        if text.chars().count() > MAX_TICKER_CHARS {
            return Err(AcdError::BadTicker(TickerFault::TooLong {
                max_chars: MAX_TICKER_CHARS,
            }));
        }
        if text.chars().any(is_control) {
            return Err(AcdError::BadTicker(TickerFault::ControlCharacter));
        }
        if self.ticker.as_ref().map(|t| t.text.as_str()).unwrap_or("") == text {
            return Ok(());
        }
        self.ticker = (!text.is_empty()).then(|| Ticker {
            text: text.to_owned(),
            by: by.to_owned(),
            at: self.now,
        });
        self.events.push_back(Event::TickerChanged {
            text: self.ticker.as_ref().map(|t| t.text.clone()),
            by: by.to_owned(),
            at: self.now,
        });
        Ok(())
    }

    /// The message on the tenant's wallboards now, if any.
    pub fn ticker(&self) -> Option<&Ticker> {
        self.ticker.as_ref()
    }

    /// A ticker holds what [`Acd::set_ticker`] lets through, also after a snapshot is read.
    pub(crate) fn check_ticker(&self) -> Result<(), String> {
        let Some(ticker) = &self.ticker else {
            return Ok(());
        };
        let text = &ticker.text;
        if text.is_empty()
            || text.trim() != text
            || text.chars().count() > MAX_TICKER_CHARS
            || text.chars().any(is_control)
        {
            return Err(format!("the ticker {text:?} breaks its rules"));
        }
        Ok(())
    }
}
