//! Displays: the tenant's kiosk wallboards, each signed in with a token of its own that a
//! supervisor made and can revoke, instead of a wallboard user's password kept on the screen.
//! The core keeps each display's name and a hash of its token, never the token: the server
//! draws the token and hashes it (the core draws no random numbers), and the hash is what is
//! journaled, replayed and replicated, so a restart and every node of a cluster know the same
//! displays, and a revocation ends the display everywhere.

use jiff::Timestamp;

use super::Acd;
use super::error::AcdError;
use super::event::Event;

/// The most displays a tenant has at once.
pub const MAX_DISPLAYS: usize = 100;
/// The longest display name, in characters: a configuration id's limit.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// One display: its name, the hash of its token, who made it and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Display {
    /// Unique in the tenant: how supervisors tell displays apart, and the name its sessions
    /// sign in as.
    pub name: String,
    /// The hash of its token, as the server computed it: a sign-in presents the token, the
    /// server hashes it and looks for this.
    pub token_hash: String,
    /// The supervisor who made it.
    pub created_by: String,
    pub created_at: Timestamp,
}

/// Whether `name` may name a display: 1 to [`MAX_DISPLAY_NAME_CHARS`] ASCII letters, digits,
/// `-`, `_` or `.`, as a user name is (its sessions sign in under it).
fn valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    !name.is_empty() && name.len() <= MAX_DISPLAY_NAME_CHARS && name.chars().all(allowed)
}

impl Acd {
    /// `by` makes display `name`, whose token hashes to `token_hash`.
    pub(crate) fn create_display(
        &mut self,
        name: &str,
        token_hash: &str,
        by: &str,
    ) -> Result<(), AcdError> {
        if !valid_name(name) {
            return Err(AcdError::BadDisplayName {
                max_chars: MAX_DISPLAY_NAME_CHARS,
            });
        }
        if self.displays.iter().any(|d| d.name == name) {
            return Err(AcdError::DuplicateDisplay(name.to_owned()));
        }
        if self.displays.len() >= MAX_DISPLAYS {
            return Err(AcdError::TooManyDisplays { max: MAX_DISPLAYS });
        }
        self.displays.push(Display {
            name: name.to_owned(),
            token_hash: token_hash.to_owned(),
            created_by: by.to_owned(),
            created_at: self.now,
        });
        self.events.push_back(Event::DisplayCreated {
            name: name.to_owned(),
            by: by.to_owned(),
        });
        Ok(())
    }

    /// `by` revokes display `name`: its token signs in no more, and its sessions end.
    pub(crate) fn revoke_display(&mut self, name: &str, by: &str) -> Result<(), AcdError> {
        let at = self
            .displays
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| AcdError::UnknownDisplay(name.to_owned()))?;
        self.displays.remove(at);
        self.events.push_back(Event::DisplayRevoked {
            name: name.to_owned(),
            by: by.to_owned(),
        });
        Ok(())
    }

    /// The tenant's displays, oldest first.
    pub fn displays(&self) -> &[Display] {
        &self.displays
    }

    /// The display whose token hashes to `token_hash`, if it has not been revoked.
    pub fn display_with_hash(&self, token_hash: &str) -> Option<&Display> {
        self.displays.iter().find(|d| d.token_hash == token_hash)
    }

    /// The displays hold what [`Acd::create_display`] lets through, also after a snapshot is read.
    pub(crate) fn check_displays(&self) -> Result<(), String> {
        if self.displays.len() > MAX_DISPLAYS {
            return Err(format!("{} displays", self.displays.len()));
        }
        for (i, display) in self.displays.iter().enumerate() {
            if !valid_name(&display.name) {
                return Err(format!("the display name {:?}", display.name));
            }
            if self.displays[..i].iter().any(|d| d.name == display.name) {
                return Err(format!("two displays named {}", display.name));
            }
        }
        Ok(())
    }
}
