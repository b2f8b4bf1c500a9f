//! What "the data as of revision R" means, in one place.
//!
//! Rows are only ever appended today, each carrying `_rev_from`, the revision that added it, so
//! the data as of R is the rows added up to R. When updates and deletions arrive (the import
//! issue), superseded rows move to a history table with `_rev_to`, and this is the one
//! function that must learn to read it.

/// A WHERE condition selecting a dataset table's rows as of `revision`. The revision is an
/// integer, so writing it into the SQL is safe.
pub(crate) fn as_of_condition(revision: i64) -> String {
    format!("\"_rev_from\" <= {revision}")
}
