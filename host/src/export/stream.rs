//! Running an export: a producer on a blocking thread (one read snapshot, or one sandboxed SQL
//! statement) feeds a bounded channel that the HTTP body drains. The channel's bound is the
//! backpressure: a slow client slows the scan instead of growing a buffer, so a
//! 10-million-row export holds as much memory as a 10-row one.

use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, DatasetMeta, DatasetState, Fresh, RowRequest, Store, StoreError};

/// Rows per batch read from SQLite.
const BATCH_ROWS: usize = 1024;
/// Bytes collected before a chunk is handed to the body.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the scan and the socket.
const CHANNEL_CHUNKS: usize = 4;

/// What a dataset export knows before the first byte of the body.
#[derive(Debug, Clone)]
pub struct ExportHead {
    pub state: DatasetState,
    pub meta: Arc<DatasetMeta>,
}

pub type ExportBody = ReceiverStream<Result<Bytes, io::Error>>;

type HeadSender<H> = oneshot::Sender<Result<Fresh<H>, StoreError>>;

/// The producer's side of an export: announce the head (or a 304), then hand over batches.
pub struct Emitter<H> {
    head_tx: Option<HeadSender<H>>,
    body_tx: mpsc::Sender<Result<Bytes, io::Error>>,
    exporter: Box<dyn Exporter>,
    buffer: Vec<u8>,
    started: bool,
    client_gone: bool,
    failure: Option<ExportError>,
}

impl<H> Emitter<H> {
    /// The client's copy is current: answer 304 and produce nothing.
    pub fn not_modified(&mut self, state: DatasetState) {
        if let Some(tx) = self.head_tx.take() {
            let _ = tx.send(Ok(Fresh::NotModified(state)));
        }
    }

    /// Sends the headers' facts and the exporter's preamble. `Break` means stop producing.
    pub fn start(&mut self, head: H, schema: &ExportSchema) -> ControlFlow<()> {
        let Some(tx) = self.head_tx.take() else {
            return ControlFlow::Break(());
        };
        if tx.send(Ok(Fresh::Modified(head))).is_err() {
            self.client_gone = true;
            return ControlFlow::Break(());
        }
        self.started = true;
        if let Err(e) = self.exporter.begin(schema, &mut self.buffer) {
            self.failure = Some(e);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// True once the client has gone: the body is no longer read.
    pub fn client_gone(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let body = self.body_tx.clone();
        move || body.is_closed()
    }

    /// Writes one batch, sending a chunk whenever enough bytes have gathered.
    pub fn batch(&mut self, batch: &Batch) -> ControlFlow<()> {
        if let Err(e) = self.exporter.write(batch, &mut self.buffer) {
            self.failure = Some(e);
            return ControlFlow::Break(());
        }
        if self.buffer.len() >= CHUNK_BYTES {
            let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES * 2));
            if self.body_tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                self.client_gone = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn end(mut self, outcome: Result<(), StoreError>) {
        let outcome = outcome.and_then(|()| match self.failure.take() {
            Some(e) => Err(StoreError::Task(e.to_string())),
            None => Ok(()),
        });
        match outcome {
            Ok(()) if self.client_gone || !self.started => {}
            Ok(()) => {
                if let Err(e) = self.exporter.finish(&mut self.buffer) {
                    self.fail(StoreError::Task(e.to_string()));
                } else if !self.buffer.is_empty() {
                    let _ = self.body_tx.blocking_send(Ok(Bytes::from(self.buffer)));
                }
            }
            Err(err) => self.fail(err),
        }
    }

    fn fail(&mut self, err: StoreError) {
        match self.head_tx.take() {
            Some(tx) => {
                let _ = tx.send(Err(err));
            }
            None => {
                // Headers are gone: end the body with an error so the client sees an aborted
                // (visibly incomplete) response rather than a short file.
                tracing::error!(error = %err, "export failed after the headers were sent");
                let _ = self
                    .body_tx
                    .blocking_send(Err(io::Error::other(err.to_string())));
            }
        }
    }
}

/// Runs `produce` on a blocking thread through `exporter`. Resolves once the producer has
/// decided on the headers (so errors and 304s are known before any byte is sent); the bytes
/// follow on the returned stream.
pub async fn run<H, P>(
    exporter: Box<dyn Exporter>,
    produce: P,
) -> Result<Fresh<(H, ExportBody)>, StoreError>
where
    H: Send + 'static,
    P: FnOnce(&mut Emitter<H>) -> Result<(), StoreError> + Send + 'static,
{
    let (head_tx, head_rx) = oneshot::channel();
    let (body_tx, body_rx) = mpsc::channel(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut emitter = Emitter {
            head_tx: Some(head_tx),
            body_tx,
            exporter,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            started: false,
            client_gone: false,
            failure: None,
        };
        let outcome = produce(&mut emitter);
        emitter.end(outcome);
    });
    match head_rx.await {
        Ok(Ok(Fresh::NotModified(state))) => Ok(Fresh::NotModified(state)),
        Ok(Ok(Fresh::Modified(head))) => Ok(Fresh::Modified((head, ReceiverStream::new(body_rx)))),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(StoreError::Task("the export ended before answering".into())),
    }
}

/// Exports `request` on `dataset` from one read snapshot.
pub async fn dataset(
    store: &Store,
    dataset: String,
    request: RowRequest,
    unchanged_since: Option<DatasetState>,
    exporter: Box<dyn Exporter>,
) -> Result<Fresh<(ExportHead, ExportBody)>, StoreError> {
    let store = store.clone();
    run(exporter, move |emitter: &mut Emitter<ExportHead>| {
        store.read_blocking(|session| {
            match session.plan(&dataset, &request, unchanged_since)? {
                Fresh::NotModified(state) => emitter.not_modified(state),
                Fresh::Modified((state, plan)) => {
                    let head = ExportHead {
                        state,
                        meta: plan.meta.clone(),
                    };
                    if emitter
                        .start(head, &ExportSchema::for_plan(&plan))
                        .is_continue()
                    {
                        session.scan(&plan, BATCH_ROWS, |batch| emitter.batch(batch))?;
                    }
                }
            }
            Ok(())
        })
    })
    .await
}
