//! The answers every operation may give besides its own: errors in the one JSON shape, and a
//! 304 for a conditional GET. Referenced from each handler's `#[utoipa::path]`, listed once in
//! `components.responses`.

use utoipa::{IntoResponses, ToResponse};

use crate::http::ErrorBody;

/// The request is malformed: unknown or repeated parameter, bad value, invalid SQL.
#[derive(ToResponse)]
pub struct BadRequest(#[allow(dead_code)] ErrorBody<'static>);

/// No such resource (dataset, row, query, indicator, plugin or format).
#[derive(ToResponse)]
pub struct NotFound(#[allow(dead_code)] ErrorBody<'static>);

/// The request body is too large.
#[derive(ToResponse)]
pub struct PayloadTooLarge(#[allow(dead_code)] ErrorBody<'static>);

/// The request body's media type is not supported.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(#[allow(dead_code)] ErrorBody<'static>);

/// A plugin refused the request, or the read ran past its budget of database time
/// (`read_budget_exceeded`: ask for less work).
#[derive(ToResponse)]
pub struct Unprocessable(#[allow(dead_code)] ErrorBody<'static>);

/// This client is over a limit: requests per minute, statements or downloads in flight
/// (`Retry-After` says when to retry).
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "Seconds to wait.")))]
pub struct TooManyRequests(#[allow(dead_code)] ErrorBody<'static>);

/// The server failed; details are in its log, not in the answer.
#[derive(ToResponse)]
pub struct ServerError(#[allow(dead_code)] ErrorBody<'static>);

/// A plugin failed or overran a limit of its sandbox.
#[derive(ToResponse)]
pub struct BadGateway(#[allow(dead_code)] ErrorBody<'static>);

/// The server is at capacity (every reader or download slot in use) or the database is busy;
/// `Retry-After` says when to retry.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "Seconds to wait.")))]
pub struct Unavailable(#[allow(dead_code)] ErrorBody<'static>);

/// A plugin or the request as a whole ran out of time.
#[derive(ToResponse)]
pub struct GatewayTimeout(#[allow(dead_code)] ErrorBody<'static>);

/// Not modified: the If-None-Match ETag still names this representation.
#[derive(ToResponse)]
pub struct NotModified;

/// What any operation that reads may answer besides its own: the server failed, or it is at
/// capacity.
#[derive(IntoResponses)]
#[allow(dead_code)] // a declaration: handlers answer with `ApiError`
pub enum ServerErrors {
    #[response(status = 500)]
    ServerError(#[ref_response] ServerError),
    #[response(status = 503)]
    Unavailable(#[ref_response] Unavailable),
}

/// What an operation on one named resource may answer besides its own: a malformed request,
/// no such resource, and the [`ServerErrors`].
#[derive(IntoResponses)]
#[allow(dead_code)] // a declaration: handlers answer with `ApiError`
pub enum LookupErrors {
    #[response(status = 400)]
    BadRequest(#[ref_response] BadRequest),
    #[response(status = 404)]
    NotFound(#[ref_response] NotFound),
    #[response(status = 500)]
    ServerError(#[ref_response] ServerError),
    #[response(status = 503)]
    Unavailable(#[ref_response] Unavailable),
}
