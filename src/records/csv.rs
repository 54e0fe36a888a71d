//! A call or conversation record as a row of comma-separated values (RFC 4180), for
//! spreadsheets and BI tools that import CSV.
//!
//! Written by hand rather than with the `csv` crate: the rows are flat, the columns fixed, and
//! RFC 4180's quoting is one rule (a field holding a comma, a quote or a line break is put in
//! quotes, its quotes doubled), so a dependency would buy nothing. A row is built from the
//! record's JSON object, so a file written by an older or newer acdhub still exports: a column
//! the line lacks is empty, a field the columns do not name is left out.

use serde_json::{Map, Value};

use super::file::Kind;

/// The columns in order: every field of [`super::CallRecord`], by its JSON name (a test holds
/// the two together).
pub const COLUMNS: &[&str] = &[
    "seq",
    "call",
    "outcome",
    "first_queue",
    "last_queue",
    "queues",
    "agents",
    "answered_by",
    "priority",
    "caller",
    "dialled",
    "arrived_at",
    "first_offered_at",
    "answered_at",
    "ended_at",
    "wrap_up_ended_at",
    "wait_ms",
    "last_queue_wait_ms",
    "talk_ms",
    "hold_ms",
    "holds",
    "wrap_up_ms",
    "offers",
    "ring_no_answers",
    "rejections",
    "transfers",
    "transfer_targets",
    "overflows",
    "disposition",
    "notes",
];

/// The columns of a conversation record in order: every field of
/// [`super::ConversationRecord`] by its JSON name but the transcript, which a row per
/// conversation cannot hold (the JSON lines have it; a test holds the two together).
pub const CONVERSATION_COLUMNS: &[&str] = &[
    "seq",
    "conversation",
    "channel",
    "outcome",
    "first_queue",
    "last_queue",
    "queues",
    "agents",
    "accepted_by",
    "priority",
    "customer",
    "data",
    "arrived_at",
    "first_offered_at",
    "accepted_at",
    "first_response_at",
    "ended_at",
    "wrap_up_ended_at",
    "wait_ms",
    "last_queue_wait_ms",
    "first_response_ms",
    "open_ms",
    "wrap_up_ms",
    "offers",
    "rejections",
    "ring_no_answers",
    "transfers",
    "transfer_targets",
    "overflows",
    "customer_messages",
    "agent_messages",
];

/// The columns of a kind's rows.
pub fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Calls => COLUMNS,
        Kind::Conversations => CONVERSATION_COLUMNS,
    }
}

/// What joins the items of a list in one field (`queues`, `agents`, `transfer_targets`): ids
/// never contain it.
pub const LIST_SEPARATOR: &str = ";";

/// The header row of call records, with its line ending.
pub fn header() -> String {
    header_of(Kind::Calls)
}

/// One call record (its JSON object) as a row, with its line ending.
pub fn row(record: &Map<String, Value>) -> String {
    row_of(Kind::Calls, record)
}

/// The header row of a kind's records, with its line ending.
pub fn header_of(kind: Kind) -> String {
    line(columns(kind).iter().map(|c| (*c).to_owned()))
}

/// One record of `kind` (its JSON object) as a row, with its line ending.
pub fn row_of(kind: Kind, record: &Map<String, Value>) -> String {
    line(columns(kind).iter().map(|c| field(record.get(*c))))
}

fn line(fields: impl Iterator<Item = String>) -> String {
    let mut out = fields
        .map(|f| quoted(&as_text(&f)))
        .collect::<Vec<_>>()
        .join(",");
    // RFC 4180 ends every record, the last included, with CRLF.
    out.push_str("\r\n");
    out
}

/// A JSON value as the text of one field: nothing for null, a missing field or an empty
/// object, a string as itself, a list's items joined, an object (a conversation's `data`) as
/// its JSON text.
fn field(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(map)) if map.is_empty() => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| field(Some(item)))
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        Some(other) => other.to_string(),
    }
}

/// A field a spreadsheet would run as a formula (CSV injection: a customer's name or attached
/// data such as `=HYPERLINK(...)`) gets a leading `'`, which spreadsheets show as text: one
/// starting with `=`, `@`, a tab or a carriage return, or with `+` or `-` followed by anything
/// but a number (so a caller's `+49 30 1234567` and a `-5` stay as they are).
pub fn as_text(field: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = field.chars();
    let risky = match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars
            .as_str()
            .chars()
            .all(|c| c.is_ascii_digit() || " ()-./".contains(c)),
        _ => false,
    };
    if risky {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

/// RFC 4180: a field with a comma, a double quote or a line break goes in double quotes, and
/// each double quote inside is doubled.
pub fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_a_spreadsheet_would_run_is_kept_as_text_and_numbers_are_not_touched() {
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "@SUM(A1)",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "\tx",
            "\rx",
        ] {
            assert_eq!(as_text(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in [
            "+4930123",
            "+49 (30) 123-45",
            "-5",
            "0800100200",
            "Dana",
            "",
            "+",
            "a=b",
        ] {
            assert_eq!(as_text(plain), plain, "{plain:?}");
        }
        let record = serde_json::json!({"seq": 1, "customer": "=1+1", "caller": "+4930123"});
        let row = row_of(Kind::Conversations, record.as_object().unwrap());
        assert!(row.contains(",'=1+1,"), "{row}");
    }

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(quoted("+4930123"), "+4930123");
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
        assert_eq!(quoted("cr\r"), "\"cr\r\"");
        assert_eq!(quoted(""), "");
    }

    #[test]
    fn a_row_has_one_field_per_column_lists_joined_and_nulls_empty() {
        let record = serde_json::json!({
            "seq": 7,
            "call": "c1",
            "queues": ["support", "sales"],
            "answered_by": null,
            "dialled": "800,1",
            "unknown_later_field": "left out",
        });
        let row = row(record.as_object().unwrap());
        assert!(row.ends_with("\r\n"));
        let expected_start = "7,c1,,,,support;sales,,,,,\"800,1\",";
        assert!(row.starts_with(expected_start), "{row}");
        // One comma between each two columns, and one inside the quoted field.
        assert_eq!(row.matches(',').count(), COLUMNS.len(), "{row}");
        assert!(!row.contains("left out"));
        assert_eq!(header().trim_end().split(',').count(), COLUMNS.len());
    }

    #[test]
    fn a_conversations_row_has_its_data_as_json_text_and_no_transcript() {
        let record = serde_json::json!({
            "seq": 3,
            "conversation": "k1",
            "channel": "chat",
            "data": {"account": "C-1", "lang": "de"},
            "transcript": [{"number": 0, "from": "customer", "text": "hello, there"}],
        });
        let row = row_of(Kind::Conversations, record.as_object().unwrap());
        assert!(
            row.starts_with(
                "3,k1,chat,,,,,,,,,\"{\"\"account\"\":\"\"C-1\"\",\"\"lang\"\":\"\"de\"\"}\","
            ),
            "{row}"
        );
        assert!(!row.contains("hello"), "{row}");
        let empty = serde_json::json!({"seq": 4, "data": {}});
        let row = row_of(Kind::Conversations, empty.as_object().unwrap());
        assert!(row.starts_with("4,,,,,,,,,,,,"), "{row}");
        assert_eq!(
            header_of(Kind::Conversations).trim_end().split(',').count(),
            CONVERSATION_COLUMNS.len()
        );
        assert!(!CONVERSATION_COLUMNS.contains(&"transcript"));
    }
}
