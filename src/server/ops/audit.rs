//! The audit log: one structured record for every supervisor action, done or refused.
//!
//! A record says who (`tenant`, `user`, `role`), what (`action`: the message type, `target`:
//! the agent or call, empty for `set_ticker`, `detail`: the state, reason, priority, queue,
//! mode or wallboard message asked for), when (`at`, the
//! server's clock) and how it ended (`result`: `ok` or the error code the client got). Each
//! record is always a tracing event (target `acdhub::audit`, level info) and, when `[server]
//! audit_log` names a file, one JSON line appended to that file:
//!
//! ```text
//! {"at":"2023-11-14T22:13:20.512Z","tenant":"demo","user":"supervisor","role":"supervisor","action":"force_state","target":"agent2","detail":{"state":"not_ready","reason":"coaching"},"result":"ok"}
//! ```
//!
//! Records carry nothing secret: they are built from these fields only, never from the rest of
//! a message (one too malformed to parse is read for them alone, cut short), so no password or
//! token can reach them.
//!
//! **Rotation.** The file can be rotated by moving it away (logrotate without `copytruncate`):
//! [`AuditLog::reopen`] (SIGHUP) opens the configured path again, creating the file; and a
//! record that finds another file at the path (logrotate's `create`) goes on in that one.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::acd::{MAX_TICKER_CHARS, MonitorMode};
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
    /// How a supervisor joins an agent's call (`monitor`): `listen`, `whisper`, `barge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    /// The wallboards' message asked for (`set_ticker`; empty to clear it), cut to
    /// [`MAX_TICKER_CHARS`] characters: a refused longer one is on record by its start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
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
    /// naming an agent, `set_call_priority`, `move_call`, `monitor`, `end_monitor`,
    /// `set_ticker`, `create_display` and `revoke_display`. `None` for every other message
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
            ClientMessage::Monitor { agent, mode } => action(
                agent,
                Detail {
                    mode: Some(mode.name()),
                    ..Detail::default()
                },
            ),
            ClientMessage::EndMonitor { agent } => action(agent, Detail::default()),
            // A display by its name (what a refused one asked for, cut as an unread field is).
            ClientMessage::CreateDisplay { name } | ClientMessage::RevokeDisplay { name } => {
                action(
                    &name.chars().take(UNREAD_FIELD_CHARS).collect::<String>(),
                    Detail::default(),
                )
            }
            // The tenant's wallboards, which the record's `tenant` names: no agent or call.
            ClientMessage::SetTicker { text } => action(
                "",
                Detail {
                    text: Some(text.chars().take(MAX_TICKER_CHARS).collect()),
                    ..Detail::default()
                },
            ),
            _ => return None,
        })
    }

    /// The supervisor action `message` is an attempt at, as `role` sent it: [`Action::of`], and
    /// also a supervisor's `clear_pending` that names no agent (refused with `bad_message`, and
    /// on record all the same, without a target).
    pub fn attempted(message: &ClientMessage, role: Role) -> Option<Action> {
        match message {
            ClientMessage::ClearPending { agent: None } if role == Role::Supervisor => {
                Some(Action {
                    name: message.type_name(),
                    target: String::new(),
                    detail: Detail::default(),
                })
            }
            _ => Action::of(message),
        }
    }

    /// The supervisor action a message that could not be read asks for (one refused with
    /// `bad_message` as it was parsed: a `reason` that does not fit the state, a field missing,
    /// mistyped or too long), as far as its `type` and fields can be read: `None` unless it is
    /// a JSON object whose `type` names a supervisor action. Text fields are cut to
    /// [`UNREAD_FIELD_CHARS`] characters; a field missing or of another type is left out (an
    /// empty `target`).
    pub fn of_unread(text: &str) -> Option<Action> {
        let Ok(serde_json::Value::Object(object)) = serde_json::from_str(text) else {
            return None;
        };
        let name = SUPERVISOR_ACTIONS
            .into_iter()
            .find(|name| object.get("type").and_then(|t| t.as_str()) == Some(name))?;
        let text = |field: &str| {
            object
                .get(field)
                .and_then(|value| value.as_str())
                .map(|value| value.chars().take(UNREAD_FIELD_CHARS).collect::<String>())
        };
        let target_field = match name {
            "set_call_priority" | "move_call" => Some("call"),
            "create_display" | "revoke_display" => Some("name"),
            "set_ticker" => None,
            _ => Some("agent"),
        };
        let detail = match name {
            "force_state" | "set_pending" => Detail {
                state: object
                    .get("state")
                    .and_then(|state| state.as_str())
                    .and_then(|state| {
                        ["ready", "not_ready", "logged_out"]
                            .into_iter()
                            .find(|known| *known == state)
                    }),
                reason: text("reason"),
                ..Detail::default()
            },
            "set_call_priority" => Detail {
                priority: object
                    .get("priority")
                    .and_then(|priority| priority.as_u64())
                    .and_then(|priority| u8::try_from(priority).ok()),
                ..Detail::default()
            },
            "move_call" => Detail {
                queue: text("queue"),
                ..Detail::default()
            },
            "set_ticker" => Detail {
                text: text("text"),
                ..Detail::default()
            },
            "monitor" => Detail {
                mode: object
                    .get("mode")
                    .and_then(|mode| mode.as_str())
                    .and_then(MonitorMode::from_name)
                    .map(MonitorMode::name),
                ..Detail::default()
            },
            _ => Detail::default(),
        };
        Some(Action {
            name,
            target: target_field.and_then(text).unwrap_or_default(),
            detail,
        })
    }

    /// Whether `role` may send this action at all (an agent's `clear_pending` of its own
    /// pending state is one it may): a refused attempt from a role that may not is on record
    /// whatever refused it.
    pub fn may_be_sent_by(&self, role: Role) -> bool {
        ClientMessage::type_allowed_for(self.name, role)
    }
}

/// The supervisor actions; who may send each is the protocol's roles table
/// ([`ClientMessage::type_allowed_for`]).
const SUPERVISOR_ACTIONS: [&str; 10] = [
    "force_state",
    "set_pending",
    "clear_pending",
    "set_call_priority",
    "move_call",
    "monitor",
    "end_monitor",
    "set_ticker",
    "create_display",
    "revoke_display",
];

/// The most characters of a text field an unread message's record carries (a call id's
/// longest).
pub const UNREAD_FIELD_CHARS: usize = 128;

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
/// The file is opened at start, in append mode, and again after a rotation (see the module's
/// documentation). Each record is serialized first and then
/// written whole, with one `write_all` of the complete line behind a mutex (no buffering
/// across records, so nothing waits in memory), by the engine (or session) that makes it and
/// before the action's reply is sent: an acknowledged action is in the file. That costs one
/// `write` into the operating system's page cache per supervisor action, a few microseconds on
/// the engine's thread; supervisor actions are rare beside the calls and state changes an
/// engine handles, and the mutex is held only for that write. There is no fsync: a machine
/// that crashes may lose the last records the kernel had not yet written, as with any log.
///
/// **A full disk.** An action cannot be taken back once the engine has journaled and applied
/// it, so the room for its record is made sure of before: [`AuditLog::admit`] reserves the
/// record's bytes out of a *ballast*, a file of [`BALLAST_BYTES`] beside the audit log
/// (`audit.jsonl.reserve`) on the same file system. A record that then finds the disk full is
/// cut back to the last whole line, the ballast shrinks by the line's length and the line is
/// written again into the space that freed. An action that finds no room in the ballast (it
/// was spent, and the disk is still too full to fill it up again) is refused with
/// `audit_unavailable` and changes nothing. So the file holds exactly one whole line for every
/// acknowledged supervisor action, never a partial line, and actions are taken again once the
/// disk has room for the ballast.
#[derive(Clone, Default)]
pub struct AuditLog {
    file: Option<Arc<AuditFile>>,
}

/// The space the ballast holds on the audit log's file system: room for the records of about
/// three thousand supervisor actions, more than can be under way at once.
pub const BALLAST_BYTES: u64 = 1 << 20;

/// Room reserved in the ballast for one action's record, given back when it is written.
#[derive(Debug)]
#[must_use = "an admitted action's record is written with `record_admitted`"]
pub struct Admitted {
    bytes: u64,
}

/// An action refused because its record could not be made sure of.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AuditUnavailable(String);

struct AuditFile {
    path: PathBuf,
    writer: Mutex<Writer>,
}

/// The audit file and its ballast, behind one lock.
struct Writer {
    file: File,
    ballast: Ballast,
}

struct Ballast {
    path: PathBuf,
    file: Option<File>,
    /// The bytes it holds on the disk now.
    len: u64,
    /// The bytes promised to admitted records not yet written.
    reserved: u64,
    /// The file system's block: the ballast gives space back in whole blocks.
    block: u64,
}

impl Ballast {
    /// Opens (or creates) the ballast and fills it up to [`BALLAST_BYTES`] as far as the disk
    /// allows.
    fn open(path: PathBuf) -> Ballast {
        let mut ballast = Ballast {
            path,
            file: None,
            len: 0,
            reserved: 0,
            block: 4096,
        };
        ballast.fill_up();
        ballast
    }

    /// Writes zeros up to [`BALLAST_BYTES`]; what the disk refuses stays missing (a later
    /// admission tries again). Returns the error that stopped it, if any.
    fn fill_up(&mut self) -> Option<std::io::Error> {
        use std::os::unix::fs::FileExt as _;
        if self.len >= BALLAST_BYTES {
            return None;
        }
        if self.file.is_none() {
            match OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&self.path)
            {
                Ok(file) => {
                    if let Ok(metadata) = file.metadata() {
                        use std::os::unix::fs::MetadataExt as _;
                        self.len = metadata.len().min(BALLAST_BYTES);
                        self.block = metadata.blksize().clamp(512, BALLAST_BYTES / 16);
                    }
                    self.file = Some(file);
                }
                Err(error) => return Some(error),
            }
        }
        let file = self.file.as_ref().expect("opened above");
        let zeros = [0u8; 64 * 1024];
        while self.len < BALLAST_BYTES {
            let chunk = (BALLAST_BYTES - self.len).min(zeros.len() as u64) as usize;
            match file.write_at(&zeros[..chunk], self.len) {
                Ok(0) => return Some(std::io::ErrorKind::WriteZero.into()),
                Ok(written) => self.len += written as u64,
                Err(error) => return Some(error),
            }
        }
        None
    }

    /// Gives at least `bytes` of the ballast back to the file system, in whole blocks (a
    /// block only partly cut off is not freed).
    fn shrink(&mut self, bytes: u64) -> std::io::Result<()> {
        let file = self.file.as_ref().ok_or(std::io::ErrorKind::NotFound)?;
        let len = self.len.saturating_sub(bytes) / self.block * self.block;
        file.set_len(len)?;
        self.len = len;
        Ok(())
    }
}

impl Writer {
    /// Goes on in the file at `path` if that is no longer the file open: a log rotation moved
    /// the old one away and put a new one there (logrotate's `create`). With no file at `path`
    /// the open one stays until [`AuditLog::reopen`] creates it (logrotate's `postrotate`
    /// SIGHUP): creating it here could race logrotate's own `create`.
    fn follow(&mut self, path: &Path) {
        use std::os::unix::fs::MetadataExt as _;
        let (Ok(there), Ok(open)) = (std::fs::metadata(path), self.file.metadata()) else {
            return;
        };
        if (there.dev(), there.ino()) == (open.dev(), open.ino()) {
            return;
        }
        match OpenOptions::new().append(true).open(path) {
            Ok(file) => {
                self.file = file;
                tracing::info!(file = %path.display(), "audit log rotated: writing to the new file");
            }
            Err(error) => {
                tracing::error!(file = %path.display(), %error, "audit log rotated, but the new file cannot be opened: records go on in the old one");
            }
        }
    }

    /// Appends `line` whole, or leaves the file as it was.
    fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        // Read at each write, not kept: a log rotation may have truncated the file meanwhile.
        let whole = self.file.metadata()?.len();
        self.file.write_all(line).inspect_err(|_| {
            // Never a partial line: what was written of it goes.
            if let Err(cut) = self.file.set_len(whole) {
                tracing::error!(%cut, "cannot cut a partly written audit record back");
            }
        })
    }
}

/// The longest result a record carries (an error code), for the room reserved before it is
/// known.
const LONGEST_RESULT: usize = 48;

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
        let mut reserve = path.as_os_str().to_owned();
        reserve.push(".reserve");
        let ballast = Ballast::open(PathBuf::from(reserve));
        tracing::info!(file = %path.display(), "audit log opened");
        if ballast.len < BALLAST_BYTES {
            tracing::warn!(file = %ballast.path.display(), "no room for the audit log's ballast: supervisor actions are refused until there is");
        }
        Ok(AuditLog {
            file: Some(Arc::new(AuditFile {
                path: path.to_owned(),
                writer: Mutex::new(Writer { file, ballast }),
            })),
        })
    }
    /// Opens the file at its configured path again, creating it if need be, and writes every
    /// record there from now on; the file open until now is closed. For a log rotation that
    /// moved the file away (logrotate without `copytruncate`): SIGHUP runs it. If the file
    /// cannot be opened, records go on in the old one, and the error is logged.
    pub fn reopen(&self) {
        let Some(file) = &self.file else {
            return;
        };
        let opened = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file.path);
        let mut writer = file.writer.lock().unwrap_or_else(|e| e.into_inner());
        match opened {
            Ok(new) => {
                writer.file = new;
                tracing::info!(file = %file.path.display(), "audit log reopened");
            }
            Err(error) => {
                tracing::error!(file = %file.path.display(), %error, "cannot reopen the audit log: records go on in the file open until now");
            }
        }
    }

    /// Runs [`AuditLog::reopen`] at every SIGHUP until `shutdown` (nothing without a file, or
    /// outside a runtime). The signal's own meaning, a reload, is the binary's: each listener
    /// of a signal hears every one.
    pub fn reopen_on_hangup(&self, shutdown: CancellationToken) {
        use tokio::signal::unix::{SignalKind, signal};
        if self.file.is_none() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(error) => {
                tracing::warn!(%error, "SIGHUP cannot be caught: the audit log is not reopened after a rotation");
                return;
            }
        };
        let log = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    hangup = hangups.recv() => match hangup {
                        Some(()) => log.reopen(),
                        None => break,
                    },
                }
            }
        });
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

    /// Reserves room for the record of `action` before it is taken; `Err` refuses the action
    /// (`audit_unavailable`). Always admitted without a file.
    pub fn admit(
        &self,
        at: Timestamp,
        actor: &Actor<'_>,
        action: &Action,
    ) -> Result<Admitted, AuditUnavailable> {
        let Some(file) = &self.file else {
            return Ok(Admitted { bytes: 0 });
        };
        let longest = "x".repeat(LONGEST_RESULT);
        let mut writer = file.writer.lock().unwrap_or_else(|e| e.into_inner());
        let ballast = &mut writer.ballast;
        let stopped = ballast.fill_up();
        // A shrink frees whole blocks: up to one more than the line.
        let bytes = line(at, actor, action, &longest).len() as u64 + ballast.block;
        // Only a whole ballast admits: it is room for the records under way when the disk
        // fills, not room to go on in once it is full.
        if stopped.is_some() || ballast.reserved + bytes > ballast.len {
            let why = match stopped {
                Some(error) => format!("{}: {error}", ballast.path.display()),
                None => format!("{}: too many records under way", ballast.path.display()),
            };
            return Err(AuditUnavailable(why));
        }
        ballast.reserved += bytes;
        Ok(Admitted { bytes })
    }

    /// Records one admitted action and how it ended: `result` is `ok` or the error code. Writes
    /// into the ballast's room if the disk is full; `false` (logged) only if the file fails
    /// otherwise.
    pub fn record_admitted(
        &self,
        admitted: Admitted,
        at: Timestamp,
        actor: &Actor<'_>,
        action: &Action,
        result: &str,
    ) -> bool {
        self.record_with(Some(admitted), at, actor, action, result)
    }

    /// Records one action refused before room was reserved for its record (by the session, or
    /// by an engine that could not store it): if the disk is full, the record is in the
    /// server's log only.
    pub fn record(&self, at: Timestamp, actor: &Actor<'_>, action: &Action, result: &str) {
        self.record_with(None, at, actor, action, result);
    }

    /// Records an action refused with `audit_unavailable` in the server's log only: the file
    /// is what could not take it, and it holds exactly the actions whose records were made
    /// sure of.
    pub fn record_in_log_only(
        &self,
        at: Timestamp,
        actor: &Actor<'_>,
        action: &Action,
        result: &str,
    ) {
        log_record(at, actor, action, result);
    }

    fn record_with(
        &self,
        admitted: Option<Admitted>,
        at: Timestamp,
        actor: &Actor<'_>,
        action: &Action,
        result: &str,
    ) -> bool {
        log_record(at, actor, action, result);
        let Some(file) = &self.file else {
            return true;
        };
        let line = line(at, actor, action, result);
        let mut writer = file.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.follow(&file.path);
        let mut written = writer.append(&line);
        if let Some(admitted) = admitted {
            writer.ballast.reserved = writer.ballast.reserved.saturating_sub(admitted.bytes);
            if written.is_err() {
                // The room reserved for it: the ballast gives it back to the file system.
                written = match writer.ballast.shrink(line.len() as u64) {
                    Ok(()) => writer.append(&line),
                    Err(error) => Err(error),
                };
            }
        }
        match written {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(file = %file.path.display(), %error, "cannot write the audit log; the record is in this log only");
                false
            }
        }
    }
}

/// One record as a tracing event of the target `acdhub::audit`: the server's log.
fn log_record(at: Timestamp, actor: &Actor<'_>, action: &Action, result: &str) {
    let detail = serde_json::to_string(&action.detail).expect("a detail serializes");
    tracing::info!(
        target: "acdhub::audit",
        at = %time(at),
        tenant = actor.tenant,
        user = actor.user,
        role = actor.role.name(),
        action = action.name,
        target = action.target.as_str(),
        detail = %detail,
        result,
        "supervisor action"
    );
}

/// One record as a line of the file, its newline included.
fn line(at: Timestamp, actor: &Actor<'_>, action: &Action, result: &str) -> Vec<u8> {
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
    let mut line = serde_json::to_vec(&record).expect("a record serializes");
    line.push(b'\n');
    line
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
        // The wallboards' message: no target, the text in the detail, cut to what a ticker holds.
        let ticker = action(r#"{"id":"1","type":"set_ticker","text":"Billing \"down\""}"#).unwrap();
        assert_eq!((ticker.name, ticker.target.as_str()), ("set_ticker", ""));
        assert_eq!(
            serde_json::to_string(&ticker.detail).unwrap(),
            r#"{"text":"Billing \"down\""}"#
        );
        let long = action(&format!(
            r#"{{"id":"1","type":"set_ticker","text":"{}"}}"#,
            "ä".repeat(300)
        ))
        .unwrap();
        assert_eq!(long.detail.text.unwrap().chars().count(), MAX_TICKER_CHARS);
        for other in [
            r#"{"id":"1","type":"clear_pending"}"#,
            r#"{"id":"1","type":"subscribe"}"#,
            r#"{"id":"1","type":"not_ready","reason":"lunch"}"#,
            r#"{"id":"1","type":"auth","user":"boss","password":"hunter2"}"#,
        ] {
            assert_eq!(action(other), None, "{other}");
        }
    }

    #[test]
    fn an_admitted_action_is_one_whole_line_and_the_ballast_holds_its_room() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(Some(&path)).unwrap();
        let reserve = dir.path().join("audit.jsonl.reserve");
        assert_eq!(std::fs::metadata(&reserve).unwrap().len(), BALLAST_BYTES);
        let force =
            action(r#"{"id":"1","type":"force_state","agent":"a2","state":"ready"}"#).unwrap();
        let actor = Actor {
            tenant: "acme",
            user: "boss",
            role: Role::Supervisor,
        };
        let at: Timestamp = "2023-11-14T22:13:20.5Z".parse().unwrap();
        let admitted = log.admit(at, &actor, &force).unwrap();
        assert!(admitted.bytes > line(at, &actor, &force, "ok").len() as u64);
        assert!(log.record_admitted(admitted, at, &actor, &force, "ok"));
        log.record(at, &actor, &force, "forbidden");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(text.ends_with('\n'));
        assert!(lines[0].ends_with(r#""result":"ok"}"#), "{}", lines[0]);
        let file = log.file.as_ref().unwrap();
        let writer = file.writer.lock().unwrap();
        assert_eq!(writer.ballast.reserved, 0, "the room is given back");
    }

    #[test]
    fn an_action_too_malformed_to_parse_is_read_as_far_as_it_goes() {
        let unread = |text: &str| {
            assert!(parse(text).is_err(), "{text} is refused as it is parsed");
            Action::of_unread(text)
        };
        let misfit = unread(
            r#"{"id":"1","type":"force_state","agent":"a2","state":"ready","reason":"lunch"}"#,
        )
        .unwrap();
        assert_eq!((misfit.name, misfit.target.as_str()), ("force_state", "a2"));
        assert_eq!(
            serde_json::to_string(&misfit.detail).unwrap(),
            r#"{"state":"ready","reason":"lunch"}"#
        );
        let priority =
            unread(r#"{"id":"1","type":"set_call_priority","call":"c-1","priority":256}"#).unwrap();
        assert_eq!(priority.target, "c-1");
        assert_eq!(priority.detail, Detail::default(), "out of range: left out");
        let long = "x".repeat(5000);
        let moved = unread(&format!(
            r#"{{"id":"1","type":"move_call","call":"{long}","queue":7}}"#
        ))
        .unwrap();
        assert_eq!(
            moved.target.chars().count(),
            UNREAD_FIELD_CHARS,
            "cut short"
        );
        assert_eq!(moved.detail, Detail::default(), "a queue that is no text");
        let ticker =
            unread(r#"{"id":"1","type":"set_ticker","text":"Lunch","agent":"a1"}"#).unwrap();
        assert_eq!(
            (ticker.target.as_str(), ticker.detail.text.as_deref()),
            ("", Some("Lunch")),
            "a ticker acts on no agent, whatever the message names"
        );
        let nameless = unread(r#"{"id":"1","type":"set_pending","state":"asleep"}"#).unwrap();
        assert_eq!(
            (nameless.target.as_str(), nameless.detail.state),
            ("", None)
        );
        for other in [
            "not json",
            r#"["force_state"]"#,
            r#"{"id":"1","type":"not_ready","reason":"no such reason!"}"#,
            r#"{"id":"1","type":"auth","user":"boss","password":"hunter2","extra":1}"#,
            r#"{"id":"1","type":7}"#,
        ] {
            assert_eq!(Action::of_unread(other), None, "{other}");
        }
    }

    #[test]
    fn the_roles_that_may_send_each_action_are_the_parsers() {
        let messages = [
            r#"{"id":"1","type":"force_state","agent":"a2","state":"ready"}"#,
            r#"{"id":"1","type":"set_pending","agent":"a2","state":"logged_out"}"#,
            r#"{"id":"1","type":"clear_pending","agent":"a2"}"#,
            r#"{"id":"1","type":"set_call_priority","call":"c","priority":1}"#,
            r#"{"id":"1","type":"move_call","call":"c","queue":"q"}"#,
            r#"{"id":"1","type":"monitor","agent":"a2","mode":"whisper"}"#,
            r#"{"id":"1","type":"end_monitor","agent":"a2"}"#,
            r#"{"id":"1","type":"set_ticker","text":"Team meeting 14:00"}"#,
            r#"{"id":"1","type":"create_display","name":"lobby"}"#,
            r#"{"id":"1","type":"revoke_display","name":"lobby"}"#,
        ];
        for text in messages {
            let message = parse(text).unwrap().message;
            let action = Action::of(&message).unwrap();
            for role in [
                Role::Agent,
                Role::Wallboard,
                Role::Supervisor,
                Role::Telephony,
                Role::Messaging,
            ] {
                assert_eq!(
                    action.may_be_sent_by(role),
                    message.allowed_for(role),
                    "{text} from {role:?}"
                );
            }
        }
        assert_eq!(SUPERVISOR_ACTIONS.len(), messages.len());
        // A supervisor's clear_pending without an agent is an attempt at an action; an agent's
        // is its own business.
        let own = parse(r#"{"id":"1","type":"clear_pending"}"#)
            .unwrap()
            .message;
        assert_eq!(Action::attempted(&own, Role::Agent), None);
        let attempt = Action::attempted(&own, Role::Supervisor).unwrap();
        assert_eq!(
            (attempt.name, attempt.target.as_str()),
            ("clear_pending", "")
        );
    }

    fn record_targets(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                record["target"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn a_rotated_file_is_followed_once_a_new_one_is_there_and_reopened_at_will() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(Some(&path)).unwrap();
        let actor = Actor {
            tenant: "acme",
            user: "boss",
            role: Role::Supervisor,
        };
        let at: Timestamp = "2023-11-14T22:13:20.5Z".parse().unwrap();
        let record = |agent: &str| {
            let text =
                format!(r#"{{"id":"1","type":"force_state","agent":"{agent}","state":"ready"}}"#);
            log.record(at, &actor, &action(&text).unwrap(), "ok");
        };
        record("a1");
        let first = dir.path().join("audit.jsonl.1");
        std::fs::rename(&path, &first).unwrap();
        record("a2");
        assert!(!path.exists(), "a record creates no file");
        log.reopen();
        record("a3");
        let second = dir.path().join("audit.jsonl.2");
        std::fs::rename(&path, &second).unwrap();
        std::fs::File::create(&path).unwrap();
        record("a4");
        assert_eq!(record_targets(&first), ["a1", "a2"]);
        assert_eq!(record_targets(&second), ["a3"]);
        assert_eq!(record_targets(&path), ["a4"]);
        log.reopen();
        record("a5");
        assert_eq!(record_targets(&path), ["a4", "a5"], "reopened to append");
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
