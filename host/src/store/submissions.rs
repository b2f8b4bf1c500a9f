//! Plugins waiting for review: the component, who sent it, the dry-run report, the decision.
//! The tables are in `tokens.rs`'s DDL, with the rest of the office's tables.

use rusqlite::{Connection, OptionalExtension, params};

use super::tokens::{Actor, AuditRow, append_audit};
use super::{Store, StoreError, write::now_utc};

/// Marks a pending submission decided, on `conn` inside the caller's transaction. False (and
/// nothing changed) when it was decided already.
pub(crate) fn decide(
    conn: &Connection,
    id: i64,
    status: &str,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<bool, rusqlite::Error> {
    let changed = conn.execute(
        "UPDATE _logam_submissions SET status = ?2, reason = ?3, decided_at = ?4, \
         decided_by = ?5 WHERE id = ?1 AND status = 'pending'",
        params![id, status, reason, now_utc(), decided_by],
    )?;
    Ok(changed == 1)
}

/// One submission, without its component bytes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub submitter: String,
    pub sha256: String,
    pub status: String,
    pub report: serde_json::Value,
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

const COLUMNS: &str =
    "id, submitter, sha256, status, report, reason, created_at, decided_at, decided_by";

fn submission_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Submission> {
    let report: String = r.get(4)?;
    Ok(Submission {
        id: r.get(0)?,
        submitter: r.get(1)?,
        sha256: r.get(2)?,
        status: r.get(3)?,
        report: serde_json::from_str(&report).unwrap_or(serde_json::Value::String(report)),
        reason: r.get(5)?,
        created_at: r.get(6)?,
        decided_at: r.get(7)?,
        decided_by: r.get(8)?,
    })
}

/// How much one submitter may have waiting for review: submissions, and their bytes
/// together (`logam serve --submission-quota`, `--submission-quota-mib`).
#[derive(Debug, Clone, Copy)]
pub struct PendingLimit {
    pub count: u64,
    pub bytes: u64,
}

impl Default for PendingLimit {
    fn default() -> Self {
        PendingLimit {
            count: 5,
            bytes: 64 << 20,
        }
    }
}

impl PendingLimit {
    /// Whether one more submission of `adding` bytes fits beside `count` of `bytes` waiting.
    pub fn admits(&self, count: u64, bytes: u64, adding: usize) -> bool {
        count < self.count && bytes.saturating_add(adding as u64) <= self.bytes
    }
}

/// What [`Store::add_submission`] did.
pub enum Added {
    Stored(Submission),
    /// The submitter already had these exact bytes waiting: that submission, unchanged.
    Duplicate(Submission),
    /// Storing it would take the submitter past the limit: what is waiting now.
    OverLimit {
        count: u64,
        bytes: u64,
    },
}

fn pending_usage(conn: &Connection, submitter: &str) -> rusqlite::Result<(u64, u64)> {
    conn.query_row(
        "SELECT count(*), coalesce(sum(length(component)), 0) FROM _logam_submissions \
         WHERE submitter = ?1 AND status = 'pending'",
        [submitter],
        |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as u64,
                r.get::<_, i64>(1)?.max(0) as u64,
            ))
        },
    )
}

fn pending_of(
    conn: &Connection,
    submitter: &str,
    sha256: &str,
) -> rusqlite::Result<Option<Submission>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM _logam_submissions WHERE submitter = ?1 AND sha256 = ?2 \
             AND status = 'pending' ORDER BY id LIMIT 1"
        ),
        [submitter, sha256],
        submission_row,
    )
    .optional()
}

impl Store {
    /// Stores a submission and its `submission.create` audit row (target: the new id) in one
    /// transaction, unless the submitter already has the same bytes waiting or this one would
    /// take them past `limit`. Both are decided inside that transaction, so concurrent
    /// submissions cannot pass the limit together.
    pub fn add_submission(
        &self,
        submitter: &Actor,
        sha256: &str,
        component: &[u8],
        report: &serde_json::Value,
        audit_detail: serde_json::Value,
        limit: PendingLimit,
    ) -> Result<Added, StoreError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if let Some(existing) = pending_of(&tx, &submitter.name, sha256)? {
                return Ok(Added::Duplicate(existing));
            }
            let (count, bytes) = pending_usage(&tx, &submitter.name)?;
            if !limit.admits(count, bytes, component.len()) {
                return Ok(Added::OverLimit { count, bytes });
            }
            tx.execute(
                "INSERT INTO _logam_submissions(submitter, sha256, component, status, report, \
                 created_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5)",
                params![
                    submitter.name,
                    sha256,
                    component,
                    report.to_string(),
                    now_utc()
                ],
            )?;
            let id = tx.last_insert_rowid();
            let submission = tx.query_row(
                &format!("SELECT {COLUMNS} FROM _logam_submissions WHERE id = ?1"),
                [id],
                submission_row,
            )?;
            append_audit(
                &tx,
                &submitter.audit("submission.create", id.to_string(), audit_detail),
            )?;
            tx.commit()?;
            Ok(Added::Stored(submission))
        })
    }

    /// How many of `submitter`'s submissions are pending, and their bytes together: what
    /// the submission quota counts. Read on a reader: the early check before a dry run;
    /// [`Store::add_submission`] decides again in its transaction.
    pub fn pending_submission_usage(&self, submitter: &str) -> Result<(u64, u64), StoreError> {
        self.read_blocking(|session| Ok(pending_usage(session.connection(), submitter)?))
    }

    /// `submitter`'s pending submission of exactly these bytes, if any (identical bytes are
    /// kept once).
    pub fn pending_submission_of(
        &self,
        submitter: &str,
        sha256: &str,
    ) -> Result<Option<Submission>, StoreError> {
        self.read_blocking(|session| Ok(pending_of(session.connection(), submitter, sha256)?))
    }

    /// Submissions newest first; only `submitter`'s when given.
    pub fn submissions(&self, submitter: Option<&str>) -> Result<Vec<Submission>, StoreError> {
        self.write_blocking(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM _logam_submissions \
                 WHERE ?1 IS NULL OR submitter = ?1 ORDER BY id DESC"
            ))?;
            let rows = stmt
                .query_map([submitter], submission_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    pub fn submission(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        self.write_blocking(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM _logam_submissions WHERE id = ?1"),
                    [id],
                    submission_row,
                )
                .optional()?)
        })
    }

    pub fn submission_component(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        self.write_blocking(|conn| {
            Ok(conn.query_row(
                "SELECT component FROM _logam_submissions WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?)
        })
    }

    /// Records the decision on a pending submission and its audit row in one transaction.
    /// Returns false (and changes nothing) when it was decided already.
    pub fn decide_submission(
        &self,
        id: i64,
        status: &str,
        reason: Option<&str>,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            if !decide(&tx, id, status, reason, &audit.actor.name)? {
                return Ok(false);
            }
            append_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }
}
