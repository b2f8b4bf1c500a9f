//! Plugin review: contributors submit components, admins approve or reject them.
//!
//! A submission is checked against the contract and dry-run under the production limits at
//! once, so the contributor learns in the same request what `logam plugin check` would say,
//! and the reviewer sees what it cost. Only an approval installs it.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::plugins::plugin_json;
use super::upload::upload_body;
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState, PathParams};
use crate::plugins::{CheckReport, PluginError};
use crate::store::{Added, PendingLimit, Role, StoreError, Submission};

fn task_failed(e: tokio::task::JoinError) -> ApiError {
    ApiError::from(StoreError::Task(e.to_string()))
}

fn report_json(report: &CheckReport) -> Value {
    json!({
        "accepted": true,
        "id": report.id,
        "kind": report.kind,
        "sha256": report.sha256,
        "manifest": report.manifest,
        "ran_on": report.ran_on,
        "time_ms": report.elapsed.as_secs_f64() * 1000.0,
        "peak_memory_bytes": report.peak_memory_bytes,
        "output_bytes": report.output_bytes,
        "rows": report.rows,
        "sample": report.sample,
        "replaces": report.replaces,
    })
}

/// `POST /api/plugins/submissions`: 202 with the pending submission and its report, or 422
/// with the refusal (nothing is stored: a component the contract refuses could never be
/// approved, and the audit log keeps the attempt).
pub async fn submit(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = upload_body(&app, body)?;
    let sha256 = format!("{:x}", Sha256::digest(&body));
    // Identical bytes are kept once, and a contributor's queue is bounded: both decided
    // before the dry run, which is the expensive part.
    let (store, who, digest) = (app.store.clone(), caller.name.clone(), sha256.clone());
    let (existing, (pending, pending_bytes)) = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>((
            store.pending_submission_of(&who, &digest)?,
            store.pending_submission_usage(&who)?,
        ))
    })
    .await
    .map_err(task_failed)??;
    if let Some(submission) = existing {
        return Ok(duplicate(submission));
    }
    let limit = app.plugins.submission_quota();
    if !limit.admits(pending, pending_bytes, body.len()) {
        return Err(over_quota(limit, pending, pending_bytes));
    }
    let plugins = app.plugins.clone();
    let bytes = body.clone();
    let checked = tokio::task::spawn_blocking(move || {
        plugins.check_component("submission", &bytes, &[], None)
    })
    .await
    .map_err(task_failed)?;
    let report = match checked {
        Ok(report) => report_json(&report),
        Err(err @ (PluginError::Engine(_) | PluginError::Store(_))) => return Err(err.into()),
        Err(err) => {
            // Nothing is stored for a refusal, so its audit row is the only write.
            let store = app.store.clone();
            let row = caller.actor().audit(
                "submission.refused",
                sha256.clone(),
                json!({ "code": err.code(), "reason": err.to_string() }),
            );
            tokio::task::spawn_blocking(move || store.audit(&row))
                .await
                .map_err(task_failed)??;
            let report = json!({
                "accepted": false,
                "code": err.code(),
                "reason": err.to_string(),
                "sha256": sha256,
            });
            let error = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                err.code(),
                err.to_string(),
                "nothing was stored; docs/plugins.md explains the contract, and `logam plugin check FILE.wasm` shows the same reason locally",
            );
            return Ok((
                error.status,
                axum::Json(json!({
                    "error": {"code": error.code, "message": error.message, "hint": error.hint},
                    "report": report,
                })),
            )
                .into_response());
        }
    };
    let store = app.store.clone();
    let submitter = caller.actor();
    let stored_report = report.clone();
    let digest = sha256.clone();
    let detail = json!({ "sha256": sha256, "plugin": report["id"], "version": report["manifest"]["version"] });
    let added = tokio::task::spawn_blocking(move || {
        store.add_submission(&submitter, &digest, &body, &stored_report, detail, limit)
    })
    .await
    .map_err(task_failed)??;
    match added {
        Added::Stored(submission) => Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({ "submission": submission })),
        )
            .into_response()),
        Added::Duplicate(submission) => Ok(duplicate(submission)),
        Added::OverLimit { count, bytes } => Err(over_quota(limit, count, bytes)),
    }
}

/// 200 with the submission of the same bytes already waiting.
fn duplicate(submission: Submission) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "submission": submission, "duplicate": true })),
    )
        .into_response()
}

fn over_quota(limit: PendingLimit, pending: u64, pending_bytes: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "submission_quota_exceeded",
        format!(
            "you have {pending} submissions ({pending_bytes} bytes) waiting for review; at \
             most {} submissions and {} bytes together may wait",
            limit.count, limit.bytes
        ),
        "wait for the office to decide on the ones waiting (GET /api/plugins/submissions)",
    )
}

/// `GET /api/plugins/submissions`: a contributor's own, or all for an admin.
pub async fn list(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let store = app.store.clone();
    let mine = (caller.role != Role::Admin).then(|| caller.name.clone());
    let list = tokio::task::spawn_blocking(move || store.submissions(mine.as_deref()))
        .await
        .map_err(task_failed)??;
    Ok(axum::Json(json!({ "submissions": list })).into_response())
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::not_found(format!(
            "no submission {:?}",
            id.chars().take(40).collect::<String>()
        ))
    })
}

/// A submission the caller may see: their own, or any for an admin. Others' answer 404, as
/// if they did not exist.
async fn visible(app: &AppState, caller: &Caller, id: &str) -> Result<Submission, ApiError> {
    let id = parse_id(id)?;
    let store = app.store.clone();
    let found = tokio::task::spawn_blocking(move || store.submission(id))
        .await
        .map_err(task_failed)??;
    found
        .filter(|s| caller.role == Role::Admin || s.submitter == caller.name)
        .ok_or_else(|| ApiError::not_found(format!("no submission {id}")))
}

/// `GET /api/plugins/submissions/{id}`.
pub async fn show(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let submission = visible(&app, &caller, &id).await?;
    Ok(axum::Json(json!({ "submission": submission })).into_response())
}

fn not_pending(submission: &Submission) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "submission_decided",
        format!(
            "submission {} is {} already",
            submission.id, submission.status
        ),
        "GET /api/plugins/submissions/{id} shows the decision",
    )
}

/// `POST /admin/plugins/submissions/{id}/approve[?replace=ID]`: installs the component
/// (live at once). A refusal at install (say another plugin took its id meanwhile, or it
/// would take over an installed plugin without `?replace=` naming it) is a 422 and the
/// submission stays pending.
pub async fn approve(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    // `?replace=ID`: the installed plugin this submission may take over (its report's
    // `replaces`).
    let confirmed = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "replace")
            .map(|(_, id)| id.into_owned())
    });
    // One decision at a time, so two approvals of one submission cannot both install.
    let _deciding = app.review_lock.lock().await;
    let submission = visible(&app, &caller, &id).await?;
    if submission.status != "pending" {
        return Err(not_pending(&submission));
    }
    let (plugins, store) = (app.plugins.clone(), app.store.clone());
    let (sub_id, by, actor) = (submission.id, caller.name.clone(), caller.actor());
    let submitter = submission.submitter.clone();
    // The install, the decision and the audit row are one transaction.
    let installed = tokio::task::spawn_blocking(move || {
        let bytes = store.submission_component(sub_id)?;
        plugins.approve_submission(
            &format!("submission-{sub_id}"),
            &bytes,
            &by,
            sub_id,
            confirmed.as_deref(),
            &|plugin, _changed| {
                actor.audit(
                    "submission.approve",
                    sub_id.to_string(),
                    json!({
                        "plugin": plugin.id,
                        "version": plugin.version,
                        "sha256": plugin.sha256,
                        "submitter": submitter,
                    }),
                )
            },
        )
    })
    .await
    .map_err(task_failed)??;
    let submission = visible(&app, &caller, &id).await?;
    Ok(axum::Json(json!({
        "submission": submission,
        "plugin": plugin_json(&installed.plugin, &app.plugins),
    }))
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct Rejection {
    reason: String,
}

/// `POST /admin/plugins/submissions/{id}/reject` with `{"reason": "..."}`: the contributor
/// reads the reason with the submission.
pub async fn reject(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
    body: Result<axum::Json<Rejection>, JsonRejection>,
) -> Result<Response, ApiError> {
    let reason = body
        .ok()
        .map(|b| b.0.reason.trim().to_string())
        .filter(|r| !r.is_empty() && r.chars().count() <= 2000)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "reason_required",
                "a rejection needs a reason for the contributor (1 to 2000 characters)",
                "send JSON {\"reason\": \"...\"} with Content-Type: application/json",
            )
        })?;
    let _deciding = app.review_lock.lock().await;
    let submission = visible(&app, &caller, &id).await?;
    if submission.status != "pending" {
        return Err(not_pending(&submission));
    }
    let store = app.store.clone();
    let (sub_id, why) = (submission.id, reason.clone());
    let row = caller.actor().audit(
        "submission.reject",
        submission.id.to_string(),
        json!({ "reason": reason, "submitter": submission.submitter }),
    );
    let decided = tokio::task::spawn_blocking(move || {
        store.decide_submission(sub_id, "rejected", Some(&why), &row)
    })
    .await
    .map_err(task_failed)??;
    if !decided {
        return Err(not_pending(&submission));
    }
    let submission = visible(&app, &caller, &id).await?;
    Ok(axum::Json(json!({ "submission": submission })).into_response())
}
