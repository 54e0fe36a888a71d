//! The audit log: one structured record for every supervisor action, done or refused.
//!
//! A record says who (`tenant`, `user`, `role`), what (`action`: the message type, `target`:
//! the agent or call, `detail`: the state, reason, priority or queue asked for), when (`at`, the
//! server's clock) and how it ended (`result`: `ok` or the error code the client got). Each
//! record is always a tracing event (target `acdhub::audit`, level info) and, when `[server]
//! audit_log` names a file, one JSON line appended to that file:
//!
//! ```text
//! {"at":"2023-11-14T22:13:20.512Z","tenant":"demo","user":"supervisor","role":"supervisor","action":"force_state","target":"agent2","detail":{"state":"not_ready","reason":"coaching"},"result":"ok"}
//! ```
//!
//! Records carry nothing secret: they are built from these fields only, never from a message's
//! text, so no password or token can reach them.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde::Serialize;

use crate::protocol::Role;
use crate::protocol::inbound::ClientMessage;
use crate::protocol::outbound::time;

/// The file could not be opened: the server does not start without the audit log it was told
/// to keep.
#[derive(Debug, thiserror::Error)]
#[error("audit log {}: cannot open it for appending: {source}", path.display())]
pub struct AuditError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// A supervisor action as the audit log names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The message type (`force_state`, `set_pending`, ...).
    pub name: &'static str,
    /// The agent or call acted on.
    pub target: String,
    pub detail: Detail,
}

/// What the action asked for, as far as it applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

impl Detail {
    /// A state asked for an agent, with its reason if any.
    fn state(state: &'static str, reason: &Option<String>) -> Detail {
        Detail {
            state: Some(state),
            reason: reason.clone(),
            ..Detail::default()
        }
    }
}

impl Action {
    /// The supervisor action `message` asks for: `force_state`, `set_pending`, `clear_pending`
    /// naming an agent, `set_call_priority` and `move_call`. `None` for every other message
    /// (an agent's `clear_pending` of its own state is the agent's business, not an action on
    /// someone).
    pub fn of(message: &ClientMessage) -> Option<Action> {
        let action = |target: &str, detail| Action {
            name: message.type_name(),
            target: target.to_owned(),
            detail,
        };
        Some(match message {
            ClientMessage::ForceState {
                agent,
                state,
                reason,
            } => action(agent, Detail::state(state.name(), reason)),
            ClientMessage::SetPending {
                agent,
                state,
                reason,
            } => action(agent, Detail::state(state.name(), reason)),
            ClientMessage::ClearPending { agent: Some(agent) } => action(agent, Detail::default()),
            ClientMessage::SetCallPriority { call, priority } => action(
                call,
                Detail {
                    priority: Some(*priority),
                    ..Detail::default()
                },
            ),
            ClientMessage::MoveCall { call, queue } => action(
                call,
                Detail {
                    queue: Some(queue.clone()),
                    ..Detail::default()
                },
            ),
            _ => return None,
        })
    }
}

/// Who acted, and where.
pub struct Actor<'a> {
    pub tenant: &'a str,
    pub user: &'a str,
    pub role: Role,
}

/// One line of the file.
#[derive(Serialize)]
struct Record<'a> {
    at: String,
    tenant: &'a str,
    user: &'a str,
    role: &'static str,
    action: &'static str,
    target: &'a str,
    detail: &'a Detail,
    result: &'a str,
}

/// Where audit records go. Cloned into every engine and shared by the sessions.
///
/// The file is opened once, at start, in append mode. Each record is serialized first and then
/// written whole, with one `write_all` of the complete line behind a mutex (no buffering
/// across records, so nothing waits in memory), by the engine (or session) that makes it and
/// before the action's reply is sent: an acknowledged action is in the file. That costs one
/// `write` into the operating system's page cache per supervisor action, a few microseconds on
/// the engine's thread; supervisor actions are rare beside the calls and state changes an
/// engine handles, and the mutex is held only for that write. A thread fed by a channel would
/// spare the engine even that, but then an acknowledged action could still be missing from the
/// file. There is no
/// fsync: a machine that crashes may lose the last records the kernel had not yet written,
/// as with any log. A failing write (a full disk) is reported in the log, which holds the
/// record too, and the action goes on.
#[derive(Clone, Default)]
pub struct AuditLog {
    file: Option<Arc<AuditFile>>,
}

struct AuditFile {
    path: PathBuf,
    writer: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating if need be) the file to append to, or keeps records in the log only.
    pub fn open(path: Option<&Path>) -> Result<AuditLog, AuditError> {
        let Some(path) = path else {
            return Ok(AuditLog::default());
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| AuditError {
                path: path.to_owned(),
                source,
            })?;
        tracing::info!(file = %path.display(), "audit log opened");
        Ok(AuditLog {
            file: Some(Arc::new(AuditFile {
                path: path.to_owned(),
                writer: Mutex::new(file),
            })),
        })
    }

    /// Whether [`AuditLog::open`] would succeed, without creating the file (`check-config`):
    /// a file that exists must open for appending, a new one needs its folder.
    pub fn check(path: Option<&Path>) -> Result<(), AuditError> {
        let Some(path) = path else {
            return Ok(());
        };
        let opened = if path.exists() {
            OpenOptions::new().append(true).open(path).map(drop)
        } else {
            let folder = match path.parent() {
                Some(folder) if !folder.as_os_str().is_empty() => folder,
                _ => Path::new("."),
            };
            match std::fs::metadata(folder) {
                Ok(metadata) if metadata.is_dir() => Ok(()),
                Ok(_) => Err(std::io::Error::other(format!(
                    "{} is not a folder",
                    folder.display()
                ))),
                Err(error) => Err(error),
            }
        };
        opened.map_err(|source| AuditError {
            path: path.to_owned(),
            source,
        })
    }

    /// Records one action and how it ended: `result` is `ok` or the error code.
    pub fn record(&self, at: Timestamp, actor: &Actor<'_>, action: &Action, result: &str) {
        let record = Record {
            at: time(at),
            tenant: actor.tenant,
            user: actor.user,
            role: actor.role.name(),
            action: action.name,
            target: &action.target,
            detail: &action.detail,
            result,
        };
        let detail = serde_json::to_string(record.detail).expect("a detail serializes");
        tracing::info!(
            target: "acdhub::audit",
            at = %record.at,
            tenant = record.tenant,
            user = record.user,
            role = record.role,
            action = record.action,
            target = record.target,
            detail = %detail,
            result = record.result,
            "supervisor action"
        );
        let Some(file) = &self.file else {
            return;
        };
        let mut line = serde_json::to_vec(&record).expect("a record serializes");
        line.push(b'\n');
        let mut writer = file.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = writer.write_all(&line) {
            tracing::error!(file = %file.path.display(), %error, "cannot write the audit log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::inbound::parse;

    fn action(text: &str) -> Option<Action> {
        Action::of(&parse(text).unwrap().message)
    }

    #[test]
    fn supervisor_actions_are_named_with_their_target_and_detail() {
        let force = action(
            r#"{"id":"1","type":"force_state","agent":"a2","state":"not_ready","reason":"lunch"}"#,
        )
        .unwrap();
        assert_eq!((force.name, force.target.as_str()), ("force_state", "a2"));
        assert_eq!(
            serde_json::to_string(&force.detail).unwrap(),
            r#"{"state":"not_ready","reason":"lunch"}"#
        );
        let moved =
            action(r#"{"id":"1","type":"move_call","call":"c 1","queue":"sales"}"#).unwrap();
        assert_eq!((moved.name, moved.target.as_str()), ("move_call", "c 1"));
        assert_eq!(
            serde_json::to_string(&moved.detail).unwrap(),
            r#"{"queue":"sales"}"#
        );
        let cleared = action(r#"{"id":"1","type":"clear_pending","agent":"a1"}"#).unwrap();
        assert_eq!(serde_json::to_string(&cleared.detail).unwrap(), "{}");
        for other in [
            r#"{"id":"1","type":"clear_pending"}"#,
            r#"{"id":"1","type":"subscribe"}"#,
            r#"{"id":"1","type":"not_ready","reason":"lunch"}"#,
            r#"{"id":"1","type":"auth","user":"boss","password":"hunter2"}"#,
        ] {
            assert_eq!(action(other), None, "{other}");
        }
    }

    /// A tracing writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_record_is_an_info_event_of_the_audit_target() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let priority =
            action(r#"{"id":"1","type":"set_call_priority","call":"w-1","priority":7}"#).unwrap();
        let actor = Actor {
            tenant: "acme",
            user: "boss",
            role: Role::Supervisor,
        };
        let at: Timestamp = "2023-11-14T22:13:20.5Z".parse().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            AuditLog::default().record(at, &actor, &priority, "not_waiting");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        for part in [
            " INFO acdhub::audit: supervisor action",
            "at=2023-11-14T22:13:20.500Z",
            "tenant=\"acme\"",
            "user=\"boss\"",
            "role=\"supervisor\"",
            "action=\"set_call_priority\"",
            "target=\"w-1\"",
            "detail={\"priority\":7}",
            "result=\"not_waiting\"",
        ] {
            assert!(text.contains(part), "`{part}` in {text}");
        }
    }
}
