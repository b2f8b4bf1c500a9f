//! The office's accounts and its audit log: API tokens (only a salted hash is kept) and one
//! row per admin action. The API decides who may do what; this room remembers.
//!
//! A token is checked on a read-only connection (a new read transaction sees every commit,
//! so a token created by `logam token create` in another process counts on the very next
//! request), never on the writer: a wrong token must be refused at once even while an import
//! holds the writer. Every admin action's audit row is written by [`append_audit`] inside the
//! transaction of the action itself, so the two land together or not at all.

use std::io::Read as _;

use base64::Engine as _;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::{Store, StoreError, write::now_utc};

/// Tables of accounts, audit and plugin submissions, created with the rest of the store.
pub(crate) const DDL: &str = r#"
-- API tokens. The token itself is shown once at creation and never stored: `hash` is
-- sha256(salt || token). A revoked token keeps its row so the audit log still names it.
CREATE TABLE IF NOT EXISTS _logam_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'contributor')),
    salt          BLOB NOT NULL,
    hash          BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
) STRICT;

-- Every admin action, append-only.
CREATE TABLE IF NOT EXISTS _logam_audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL
) STRICT;

-- Plugins sent for review: checked and dry-run at once, installed only when approved.
CREATE TABLE IF NOT EXISTS _logam_submissions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    submitter   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    component   BLOB NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    report      TEXT NOT NULL,
    reason      TEXT,
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS _logam_submissions_submitter ON _logam_submissions(submitter, id);
"#;

/// What a token may do. An admin may do everything a contributor may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Contributor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Contributor => "contributor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "contributor" => Some(Role::Contributor),
            _ => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("a token named `{0}` exists already (names are never reused, even once revoked)")]
    NameTaken(String),
    #[error("no token is named `{0}`")]
    UnknownName(String),
    #[error("token `{0}` is revoked already")]
    AlreadyRevoked(String),
    #[error("a token name is 1 to 64 letters, digits, `-`, `_`, `.` or `@`; got {0:?}")]
    InvalidName(String),
    #[error("no randomness for a new token: {0}")]
    Random(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AccountError {
    fn from(err: rusqlite::Error) -> Self {
        AccountError::Store(StoreError::from_sqlite(err))
    }
}

/// A token as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid { name: String, role: Role },
    Revoked { name: String },
    Unknown,
}

/// Who does an admin action, as the audit log records it: a token holder (`admin`,
/// `contributor`), the command line (`cli`) or the plugins folder (`folder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: String,
}

impl Actor {
    pub fn new(name: impl Into<String>, role: impl Into<String>) -> Self {
        Actor {
            name: name.into(),
            role: role.into(),
        }
    }

    /// One row about this actor's action.
    pub fn audit(
        &self,
        action: &str,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> AuditRow {
        AuditRow {
            actor: self.clone(),
            action: action.to_string(),
            target: target.into(),
            detail,
        }
    }
}

/// An audit row to be written with the action it records.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub actor: Actor,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// Appends `row` on `conn`, inside whatever transaction the caller has open.
pub(crate) fn append_audit(conn: &Connection, row: &AuditRow) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO _logam_audit(at, actor, role, action, target, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now_utc(),
        row.actor.name,
        row.actor.role,
        row.action,
        row.target,
        row.detail.to_string()
    ])?;
    Ok(())
}

/// One audit row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(AccountError::Random)?;
    Ok(bytes)
}

fn digest(salt: &[u8], token: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(token.as_bytes());
    hasher.finalize().into()
}

/// Equal-time comparison: how much of a guess matched must not show in the answer's timing.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
}

impl Store {
    /// Creates a token and returns it; this is the only time its text exists outside the
    /// caller's hands. `by` is recorded in the audit log in the same transaction.
    pub fn create_token(&self, name: &str, role: Role, by: &Actor) -> Result<String, AccountError> {
        if !valid_name(name) {
            return Err(AccountError::InvalidName(name.chars().take(80).collect()));
        }
        let secret = random_bytes::<32>()?;
        let salt = random_bytes::<16>()?;
        let token = format!(
            "logam_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        let hash = digest(&salt, &token);
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO _logam_tokens(name, role, salt, hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO NOTHING",
                params![name, role.as_str(), &salt[..], &hash[..], now_utc()],
            )?;
            if inserted == 1 {
                append_audit(
                    &tx,
                    &by.audit(
                        "token.create",
                        name,
                        serde_json::json!({ "role": role.as_str() }),
                    ),
                )?;
                tx.commit()?;
            }
            Ok(inserted)
        })
        .map_err(AccountError::from)
        .and_then(|inserted| {
            if inserted == 0 {
                Err(AccountError::NameTaken(name.to_string()))
            } else {
                Ok(token)
            }
        })
    }

    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, AccountError> {
        Ok(self.write_blocking(|conn| {
            let mut stmt = conn.prepare(
                "SELECT name, role, created_at, revoked_at, last_used_at FROM _logam_tokens \
                 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(TokenInfo {
                        name: r.get(0)?,
                        role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Contributor),
                        created_at: r.get(2)?,
                        revoked_at: r.get(3)?,
                        last_used_at: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?)
    }

    pub fn revoke_token(&self, name: &str, by: &Actor) -> Result<(), AccountError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let revoked: Option<Option<String>> = tx
                .query_row(
                    "SELECT revoked_at FROM _logam_tokens WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            match revoked {
                None => Ok(Err(AccountError::UnknownName(name.to_string()))),
                Some(Some(_)) => Ok(Err(AccountError::AlreadyRevoked(name.to_string()))),
                Some(None) => {
                    tx.execute(
                        "UPDATE _logam_tokens SET revoked_at = ?2 WHERE name = ?1",
                        params![name, now_utc()],
                    )?;
                    append_audit(&tx, &by.audit("token.revoke", name, serde_json::json!({})))?;
                    tx.commit()?;
                    Ok(Ok(()))
                }
            }
        })?
    }

    /// Finds the row a presented token belongs to, on a read-only connection. Hashes are
    /// salted per row, so every row is tried (the office has tens of tokens, not millions),
    /// each in equal time. A valid token's `last_used_at` is stamped when the writer is free
    /// at that moment, and skipped otherwise: bookkeeping never waits behind an import.
    pub fn check_token(&self, token: &str) -> Result<TokenCheck, StoreError> {
        let (found, found_id) = self.read_blocking(|session| {
            let conn = session.connection();
            let rows = {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, name, role, salt, hash, revoked_at FROM _logam_tokens",
                )?;
                stmt.query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            let mut found = TokenCheck::Unknown;
            let mut found_id = None;
            for (id, name, role, salt, hash, revoked) in rows {
                if same_bytes(&digest(&salt, token), &hash) {
                    found = match (revoked, Role::parse(&role)) {
                        (None, Some(role)) => {
                            found_id = Some(id);
                            TokenCheck::Valid { name, role }
                        }
                        _ => TokenCheck::Revoked { name },
                    };
                }
            }
            Ok((found, found_id))
        })?;
        if let Some(id) = found_id
            && let Some(conn) = self.try_writer()
        {
            // Another process may hold the file's write lock: do not wait for it either.
            let _ = conn.busy_timeout(std::time::Duration::ZERO);
            let _ = conn.execute(
                "UPDATE _logam_tokens SET last_used_at = ?2 WHERE id = ?1",
                params![id, now_utc()],
            );
            let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
        }
        Ok(found)
    }

    /// Appends one audit row about something that has no write of its own to share a
    /// transaction with (a refused submission, an install that changed nothing).
    pub fn audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        self.write_blocking(|conn| Ok(append_audit(conn, row)?))
    }

    /// The newest `limit` audit rows, newest first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.read_blocking(|session| {
            let mut stmt = session.connection().prepare(
                "SELECT seq, at, actor, role, action, target, detail FROM _logam_audit \
                 ORDER BY seq DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    let detail: String = r.get(6)?;
                    Ok(AuditEntry {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        role: r.get(3)?,
                        action: r.get(4)?,
                        target: r.get(5)?,
                        detail: serde_json::from_str(&detail)
                            .unwrap_or(serde_json::Value::String(detail)),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_time_comparison_compares() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
    }

    #[test]
    fn names_are_plain() {
        assert!(valid_name("siti@dinperindag"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"x".repeat(65)));
    }
}
