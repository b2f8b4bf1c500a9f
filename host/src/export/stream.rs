//! Running an export: one read snapshot on a blocking thread feeds a bounded channel that the
//! HTTP body drains. The channel's bound is the backpressure: a slow client slows the scan
//! instead of growing a buffer, so a 10-million-row export holds as much memory as a 10-row one.

use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::{ExportSchema, Exporter};
use crate::store::{DatasetMeta, DatasetState, Fresh, RowRequest, Store, StoreError};

/// Rows per batch read from SQLite.
const BATCH_ROWS: usize = 1024;
/// Bytes collected before a chunk is handed to the body.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the scan and the socket.
const CHANNEL_CHUNKS: usize = 4;

/// What is known before the first byte of the body: enough to write the headers.
#[derive(Debug, Clone)]
pub struct ExportHead {
    pub state: DatasetState,
    pub meta: Arc<DatasetMeta>,
}

pub type ExportBody = ReceiverStream<Result<Bytes, io::Error>>;

/// Starts exporting `request` on `dataset` through `exporter`. Resolves once the request has
/// been checked (so errors and 304s are decided before any byte is sent); the rows follow on
/// the returned stream. An error after the headers ends the stream with an error, which the
/// HTTP layer turns into an aborted (visibly incomplete) response rather than a short file.
pub async fn start(
    store: &Store,
    dataset: String,
    request: RowRequest,
    unchanged_since: Option<DatasetState>,
    mut exporter: Box<dyn Exporter>,
) -> Result<Fresh<(ExportHead, ExportBody)>, StoreError> {
    let (head_tx, head_rx) = oneshot::channel::<Result<Fresh<ExportHead>, StoreError>>();
    let (body_tx, body_rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
    let store = store.clone();

    tokio::task::spawn_blocking(move || {
        let mut head_tx = Some(head_tx);
        let outcome = store.read_blocking(|session| {
            let (state, plan) = match session.plan(&dataset, &request, unchanged_since)? {
                Fresh::NotModified(state) => {
                    if let Some(tx) = head_tx.take() {
                        let _ = tx.send(Ok(Fresh::NotModified(state)));
                    }
                    return Ok(());
                }
                Fresh::Modified(found) => found,
            };
            if let Some(tx) = head_tx.take() {
                let head = ExportHead {
                    state,
                    meta: plan.meta.clone(),
                };
                if tx.send(Ok(Fresh::Modified(head))).is_err() {
                    return Ok(()); // the client left before the headers
                }
            }
            let schema = ExportSchema::for_plan(&plan);
            let mut buffer = Vec::with_capacity(CHUNK_BYTES * 2);
            let fail = |e: super::ExportError| StoreError::Task(e.to_string());
            exporter.begin(&schema, &mut buffer).map_err(fail)?;
            let mut export_error = None;
            let mut client_gone = false;
            session.scan(&plan, BATCH_ROWS, |batch| {
                if let Err(e) = exporter.write(batch, &mut buffer) {
                    export_error = Some(e);
                    return ControlFlow::Break(());
                }
                if buffer.len() >= CHUNK_BYTES {
                    let chunk = Bytes::from(std::mem::replace(
                        &mut buffer,
                        Vec::with_capacity(CHUNK_BYTES * 2),
                    ));
                    if body_tx.blocking_send(Ok(chunk)).is_err() {
                        client_gone = true;
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            })?;
            if client_gone {
                return Ok(());
            }
            if let Some(e) = export_error {
                return Err(fail(e));
            }
            exporter.finish(&mut buffer).map_err(fail)?;
            if !buffer.is_empty() {
                let _ = body_tx.blocking_send(Ok(Bytes::from(buffer)));
            }
            Ok(())
        });
        if let Err(err) = outcome {
            match head_tx.take() {
                Some(tx) => {
                    let _ = tx.send(Err(err));
                }
                None => {
                    tracing::error!(error = %err, "export failed after the headers were sent");
                    let _ = body_tx.blocking_send(Err(io::Error::other(err.to_string())));
                }
            }
        }
    });

    match head_rx.await {
        Ok(Ok(Fresh::NotModified(state))) => Ok(Fresh::NotModified(state)),
        Ok(Ok(Fresh::Modified(head))) => Ok(Fresh::Modified((head, ReceiverStream::new(body_rx)))),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(StoreError::Task(
            "the export task ended before answering".into(),
        )),
    }
}
