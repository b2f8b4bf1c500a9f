use thiserror::Error;

/// Everything that can go wrong in the store. The API edge turns each variant into one HTTP
/// status and one machine-readable code; only `Internal`-class variants hide their details.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("dataset `{0}` does not exist")]
    UnknownDataset(String),

    #[error("no row with {column} = {value} in dataset `{dataset}`")]
    RowNotFound {
        dataset: String,
        column: String,
        value: String,
    },

    /// The request was understood but asks for something the dataset's schema does not allow.
    #[error(transparent)]
    Query(#[from] QueryError),

    /// An ad-hoc SQL statement was refused or stopped.
    #[error(transparent)]
    Sql(#[from] super::SqlError),

    /// A write (seed, append, gen) carried data that does not fit the dataset's schema.
    #[error("invalid data for dataset `{dataset}`: {reason}")]
    InvalidData { dataset: String, reason: String },

    #[error("dataset `{0}` already exists")]
    DatasetExists(String),

    #[error("the database is busy; try again")]
    Busy,

    /// Every connection of a kind is in use and none came free within the wait: the server is
    /// at capacity, and the client should come back shortly.
    #[error("all {resource} are in use; try again in a moment")]
    Unavailable {
        resource: &'static str,
        retry_after_secs: u64,
    },

    /// A read ran past the CPU time one request may spend in SQLite.
    #[error("the request needed more than the read budget of {budget_ms} ms of database time")]
    BudgetExceeded { budget_ms: u128 },

    /// Nobody waits for the answer any more (the client went away or the request timed out).
    #[error("the request was cancelled")]
    Cancelled,

    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("connection pool error: {0}")]
    Pool(#[from] r2d2::Error),

    #[error("seed data is broken: {0}")]
    Seed(String),

    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("background task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// SQLITE_BUSY and SQLITE_LOCKED are the one class of SQLite error a client can fix by
    /// retrying, so they get their own variant (and a 503 at the edge) instead of a 500.
    pub fn from_sqlite(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            _ => StoreError::Sqlite(err),
        }
    }
}

/// A request the client can correct. Each variant has a stable `code` that clients can match
/// on, a message that names the offending input, and a hint that says how to fix it.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum QueryError {
    #[error("dataset `{dataset}` has no column `{column}`")]
    UnknownColumn {
        dataset: String,
        column: String,
        known: Vec<String>,
    },

    #[error("`{operator}` is not a filter operator (in `{parameter}`)")]
    UnknownOperator { parameter: String, operator: String },

    #[error("`{parameter}` is not a parameter this endpoint understands")]
    UnknownParameter { parameter: String },

    #[error("operator `{operator}` does not apply to {column_type} column `{column}`")]
    OperatorNotForType {
        column: String,
        operator: String,
        column_type: &'static str,
    },

    #[error("`{parameter}`: {value:?} is not {expected}")]
    InvalidValue {
        parameter: String,
        value: String,
        expected: String,
    },

    #[error("`{parameter}` is {length} bytes long; the limit is {limit}")]
    ValueTooLong {
        parameter: String,
        length: usize,
        limit: usize,
    },

    #[error("the request has {count} parameters; the limit is {limit}")]
    TooManyParameters { count: usize, limit: usize },

    #[error("`{parameter}` was given more than once")]
    RepeatedParameter { parameter: String },

    #[error("the `_next` token is not valid: {reason}")]
    InvalidNextToken { reason: String },

    #[error(
        "`_q` (full-text search) is not available for dataset `{dataset}`: it has no searchable text columns"
    )]
    SearchUnavailable { dataset: String },

    #[error("revision {requested} does not exist (the newest is {newest})")]
    UnknownRevision { requested: i64, newest: i64 },

    #[error("`{parameter}` cannot be used with {context}")]
    NotApplicable {
        parameter: String,
        context: &'static str,
    },
}

impl QueryError {
    /// The stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::UnknownColumn { .. } => "unknown_column",
            QueryError::UnknownOperator { .. } => "unknown_operator",
            QueryError::UnknownParameter { .. } => "unknown_parameter",
            QueryError::OperatorNotForType { .. } => "operator_not_for_type",
            QueryError::InvalidValue { .. } => "invalid_value",
            QueryError::ValueTooLong { .. } => "value_too_long",
            QueryError::TooManyParameters { .. } => "too_many_parameters",
            QueryError::RepeatedParameter { .. } => "repeated_parameter",
            QueryError::InvalidNextToken { .. } => "invalid_next_token",
            QueryError::SearchUnavailable { .. } => "search_unavailable",
            QueryError::NotApplicable { .. } => "parameter_not_applicable",
            QueryError::UnknownRevision { .. } => "unknown_revision",
        }
    }

    /// How the client can fix the request.
    pub fn hint(&self) -> String {
        match self {
            QueryError::UnknownColumn { known, .. } => {
                format!("known columns: {}", known.join(", "))
            }
            QueryError::UnknownOperator { .. } => {
                "use col__OP=value with OP one of: exact, not, gt, gte, lt, lte, contains, startswith, in, isnull".into()
            }
            QueryError::UnknownParameter { .. } => {
                "parameters starting with `_` are: _sort, _sort_desc, _size, _next, _col, _facet, _q, _count, _bom, _as_of; anything else filters a column".into()
            }
            QueryError::OperatorNotForType { .. } => {
                "contains and startswith work on text and date columns; use exact, gt, lt, in or isnull on numbers".into()
            }
            QueryError::InvalidValue { expected, .. } => format!("give {expected}"),
            QueryError::ValueTooLong { .. } => "shorten the value".into(),
            QueryError::TooManyParameters { .. } => "split the request".into(),
            QueryError::RepeatedParameter { .. } => "give it once".into(),
            QueryError::InvalidNextToken { .. } => {
                "use the `next` value of the previous page unchanged, with the same _sort".into()
            }
            QueryError::SearchUnavailable { .. } => "filter a column with col__contains=text instead".into(),
            QueryError::NotApplicable { .. } => "remove the parameter".into(),
            QueryError::UnknownRevision { .. } => {
                "GET /api/datasets/{id}/revisions lists the revisions".into()
            }
        }
    }
}
