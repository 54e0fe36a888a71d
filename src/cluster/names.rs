//! Where a tenant's records live in NATS: a stream and a subject of its own, named from the
//! tenant's id.
//!
//! Tenant ids are 1 to 64 of `A-Z a-z 0-9 - _ .` (the configuration's ids); stream names may not
//! hold `.`, and in a subject `.` separates tokens. So the id is escaped: `_` becomes `__` and
//! `.` becomes `_2e`, which keeps every other character and maps distinct ids to distinct names
//! (an `_` in the escaped form is always followed by `_` or `2e`, so it reads back one way).

/// The prefix of every stream and subject acdhub makes.
const PREFIX: &str = "ACD";

/// The tenant id as a stream name and a subject token take it.
fn escaped(tenant: &str) -> String {
    let mut out = String::with_capacity(tenant.len() + 4);
    for c in tenant.chars() {
        match c {
            '_' => out.push_str("__"),
            '.' => out.push_str("_2e"),
            c => out.push(c),
        }
    }
    out
}

/// The stream that holds `tenant`'s log: `ACD_<tenant>`.
pub fn stream_name(tenant: &str) -> String {
    format!("{PREFIX}_{}", escaped(tenant))
}

/// The subject `tenant`'s records are published on: `acd.<tenant>.log`.
pub fn subject(tenant: &str) -> String {
    format!("{}.{}.log", PREFIX.to_ascii_lowercase(), escaped(tenant))
}

/// The name of `tenant`'s snapshot in the snapshots' object store.
pub(super) fn snapshot_name(tenant: &str) -> String {
    escaped(tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_differ_get_names_that_differ_and_that_nats_takes() {
        let ids = ["t1", "a.b", "a_b", "a__b", "a_2eb", "a-b", "A.B_c"];
        let names: Vec<String> = ids.iter().map(|id| stream_name(id)).collect();
        for (i, a) in names.iter().enumerate() {
            assert!(
                a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{a}: a stream name is letters, digits, `_` and `-`"
            );
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(stream_name("a.b"), "ACD_a_2eb");
        assert_eq!(stream_name("a_2eb"), "ACD_a__2eb");
        assert_eq!(subject("a.b"), "acd.a_2eb.log");
        assert_eq!(subject("demo"), "acd.demo.log");
    }
}
