//! Finding where in the file a problem is: from a field path to a line, and from a byte span
//! (what the TOML parser and serde report) back to a field path.
//!
//! Both directions work on the spanned document tree the `toml` crate parses (`DeTable`), so
//! every error, whoever finds it, is reported the same way: `file:line: field: problem`.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// How the empty path (the document itself) is shown in messages.
pub(super) const TOP_LEVEL: &str = "(top level)";

/// One step of a field path: a key of a table or an index into an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

/// Where a value sits in the file, such as `tenants[0].queues[1].ring_timeout_secs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The path of a key below this one.
    pub fn key(&self, key: impl Into<String>) -> FieldPath {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.into()));
        path
    }

    /// The path of an array element below this one.
    pub fn index(&self, index: usize) -> FieldPath {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// Appends a path the core's `Config::validate` reported (relative to one tenant, with the
    /// core's field names) in the file's terms: durations get their `_secs` suffix, and an
    /// agent's skill keeps its queue id whole even if it contains dots.
    pub fn join_core(&self, what: &str) -> FieldPath {
        let mut path = self.clone();
        let (fields, skill_queue) = match what.split_once(".skills.") {
            Some((agent, queue)) if agent.starts_with("agents[") => (agent, Some(queue)),
            _ => (what, None),
        };
        let parts: Vec<&str> = fields.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let is_last = i + 1 == parts.len() && skill_queue.is_none();
            let (name, indexes) = split_indexes(part);
            let name = if is_last && indexes.is_empty() {
                file_field_name(name)
            } else {
                name.to_owned()
            };
            if !name.is_empty() {
                path.0.push(Segment::Key(name));
            }
            path.0.extend(indexes.into_iter().map(Segment::Index));
        }
        if let Some(queue) = skill_queue {
            path.0.push(Segment::Key("skills".to_owned()));
            path.0.push(Segment::Key(queue.to_owned()));
        }
        path
    }

    fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    fn depth(&self) -> usize {
        self.0.len()
    }
}

/// Splits `queues[2]` into `queues` and `[2]`; text that does not parse stays part of the name.
fn split_indexes(part: &str) -> (&str, Vec<usize>) {
    let Some(open) = part.find('[') else {
        return (part, Vec::new());
    };
    let mut indexes = Vec::new();
    for piece in part[open..].split('[').skip(1) {
        match piece.strip_suffix(']').and_then(|n| n.parse().ok()) {
            Some(index) => indexes.push(index),
            None => return (part, Vec::new()),
        }
    }
    (&part[..open], indexes)
}

/// The file's name for a core field: the core holds `Duration`s, the file whole seconds.
fn file_field_name(core: &str) -> String {
    match core {
        "after"
        | "ring_timeout"
        | "wrap_up"
        | "threshold"
        | "short_abandon"
        | "first_response"
        | "reject_delay"
        | "max_wrap_up_extension"
        | "rolling_window" => format!("{core}_secs"),
        "to" => "overflow_to".to_owned(),
        other => other.to_owned(),
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(TOP_LEVEL);
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The parsed file with the position of every key and value.
pub(super) struct Document<'a> {
    text: &'a str,
    root: Spanned<DeValue<'a>>,
}

impl<'a> Document<'a> {
    pub fn new(text: &'a str, root: Spanned<DeTable<'a>>) -> Document<'a> {
        let span = root.span();
        Document {
            text,
            root: Spanned::new(span, DeValue::Table(root.into_inner())),
        }
    }

    /// The document tree, for deserializing.
    pub fn table(&self) -> Spanned<DeTable<'a>> {
        match self.root.get_ref() {
            DeValue::Table(table) => Spanned::new(self.root.span(), table.clone()),
            _ => Spanned::new(self.root.span(), DeTable::default()),
        }
    }

    /// The source text of a span (empty if the span is not in the text).
    pub fn text(&self, span: &Range<usize>) -> &'a str {
        self.text.get(span.clone()).unwrap_or_default()
    }

    /// The 1-based line of a byte offset.
    pub fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The line of a field. A field that is not written in the file (its default was used) is
    /// reported at the nearest enclosing table or key that is.
    pub fn line_of(&self, path: &FieldPath) -> usize {
        let mut value = &self.root;
        let mut found: Option<Range<usize>> = None;
        for segment in &path.0 {
            let next = match (segment, value.get_ref()) {
                (Segment::Key(key), DeValue::Table(table)) => table
                    .iter()
                    .find(|(k, _)| k.get_ref() == key)
                    .map(|(k, v)| (k.span(), v)),
                (Segment::Index(index), DeValue::Array(array)) => {
                    array.get(*index).map(|v| (v.span(), v))
                }
                _ => None,
            };
            let Some((span, next)) = next else { break };
            found = Some(span);
            value = next;
        }
        found.map_or(1, |span| self.line_at(span.start))
    }

    /// The field a byte span reported by the parser or by serde belongs to: the smallest key or
    /// value that holds it; failing that (a syntax error the parser could not attach to a key),
    /// the `[table]` or `[[array]]` section it is in.
    pub fn field_at(&self, span: &Range<usize>) -> Found {
        let mut finder = FieldFinder {
            text: self.text,
            target: span.clone(),
            best: None,
            section: None,
        };
        finder.visit(&self.root, &FieldPath::default());
        match (finder.best, finder.section) {
            (Some((_, path)), _) => Found::Field(path),
            (None, Some((_, path))) => Found::Section(path),
            (None, None) => Found::Section(FieldPath::default()),
        }
    }
}

/// What a byte span was traced to.
pub(super) enum Found {
    /// A key or value in the tree holds the span.
    Field(FieldPath),
    /// Nothing in the tree holds it (the parser dropped that line); this is the section the
    /// span is in.
    Section(FieldPath),
}

/// A walk over the whole tree looking for the field a span belongs to.
struct FieldFinder<'t> {
    text: &'t str,
    target: Range<usize>,
    /// The smallest key or value span holding the target, with its path.
    best: Option<(usize, FieldPath)>,
    /// The last section header (`[..]` or `[[..]]`) that starts before the target.
    section: Option<(usize, FieldPath)>,
}

impl FieldFinder<'_> {
    fn visit(&mut self, value: &Spanned<DeValue<'_>>, path: &FieldPath) {
        match value.get_ref() {
            DeValue::Table(table) => {
                self.consider_section(value.span(), path);
                for (key, child) in table.iter() {
                    let child_path = path.key(key.get_ref().as_ref());
                    self.consider(key.span(), &child_path);
                    self.consider(child.span(), &child_path);
                    self.visit(child, &child_path);
                }
            }
            DeValue::Array(array) => {
                for (index, child) in array.iter().enumerate() {
                    let child_path = path.index(index);
                    self.consider(child.span(), &child_path);
                    self.visit(child, &child_path);
                }
            }
            _ => {}
        }
    }

    fn consider(&mut self, span: Range<usize>, path: &FieldPath) {
        if path.is_root() || span.start > self.target.start || self.target.end > span.end {
            return;
        }
        let len = span.len();
        let better = match &self.best {
            None => true,
            Some((best_len, best_path)) => {
                len < *best_len || (len == *best_len && path.depth() > best_path.depth())
            }
        };
        if better {
            self.best = Some((len, path.clone()));
        }
    }

    fn consider_section(&mut self, span: Range<usize>, path: &FieldPath) {
        let is_header = self.text.as_bytes().get(span.start) == Some(&b'[');
        if path.is_root() || !is_header || span.start > self.target.start {
            return;
        }
        if self
            .section
            .as_ref()
            .is_none_or(|(start, _)| span.start >= *start)
        {
            self.section = Some((span.start, path.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant_path(what: &str) -> String {
        FieldPath::default()
            .key("tenants")
            .index(1)
            .join_core(what)
            .to_string()
    }

    /// Every path `Config::validate` can report, in the file's terms.
    #[test]
    fn core_paths_become_file_paths() {
        let cases = [
            ("queues[2].id", "tenants[1].queues[2].id"),
            (
                "queues[2].priority_weight",
                "tenants[1].queues[2].priority_weight",
            ),
            ("queues[2].min_skill", "tenants[1].queues[2].min_skill"),
            (
                "queues[2].ring_timeout",
                "tenants[1].queues[2].ring_timeout_secs",
            ),
            (
                "queues[2].service_level.target_percent",
                "tenants[1].queues[2].service_level.target_percent",
            ),
            (
                "queues[2].max_wait.after",
                "tenants[1].queues[2].max_wait.after_secs",
            ),
            (
                "queues[2].max_wait.overflow_to",
                "tenants[1].queues[2].max_wait.overflow_to",
            ),
            (
                "queues[2].escalation[0].after",
                "tenants[1].queues[2].escalation[0].after_secs",
            ),
            (
                "queues[2].escalation[0].min_skill",
                "tenants[1].queues[2].escalation[0].min_skill",
            ),
            (
                "queues[2].escalation[0].overflow_to",
                "tenants[1].queues[2].escalation[0].overflow_to",
            ),
            (
                "queues[2].escalation[0].to",
                "tenants[1].queues[2].escalation[0].overflow_to",
            ),
            ("agents[7].id", "tenants[1].agents[7].id"),
            (
                "agents[7].skills.sales",
                "tenants[1].agents[7].skills.sales",
            ),
            (
                "agents[7].skills.after",
                "tenants[1].agents[7].skills.after",
            ),
            (
                "agents[7].skills.sales.eu",
                "tenants[1].agents[7].skills.\"sales.eu\"",
            ),
            (
                "not_ready_reasons[3].code",
                "tenants[1].not_ready_reasons[3].code",
            ),
            (
                "routing.rolling_window",
                "tenants[1].routing.rolling_window_secs",
            ),
        ];
        for (core, file) in cases {
            assert_eq!(tenant_path(core), file, "core path {core}");
        }
    }

    #[test]
    fn a_field_left_out_is_found_at_its_table() {
        let text = "[[tenants]]\nid = \"a\"\n\n[[tenants.queues]]\nid = \"q\"\n";
        let document = Document::new(text, DeTable::parse(text).expect("valid toml"));
        let queue = FieldPath::default()
            .key("tenants")
            .index(0)
            .key("queues")
            .index(0);
        assert_eq!(document.line_of(&queue.key("id")), 5);
        assert_eq!(document.line_of(&queue.key("ring_timeout_secs")), 4);
        assert_eq!(document.line_of(&FieldPath::default().key("simulator")), 1);
    }
}
