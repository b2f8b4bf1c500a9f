//! Running an export: a producer on a blocking thread (one read snapshot, or one sandboxed SQL
//! statement) feeds a bounded channel that the HTTP body drains. The channel's bound is the
//! backpressure: a slow client slows the scan instead of growing a buffer, so a
//! 10-million-row export holds as much memory as a 10-row one.
//!
//! A slow client also holds a reader (and its read transaction) for as long as it is slow, so
//! there is a floor on how slowly it may drain, the [`DrainRule`]: after a grace period, an
//! export must have delivered on average at least `min_bytes_per_second` since it started.
//! A client below that is cut off (the response ends aborted, visibly incomplete) and the
//! reader and the export's slot go back at once. Measured where the bytes leave the producer,
//! so the socket's own buffers count in the client's favour.

use std::io;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, DatasetMeta, DatasetState, Fresh, RowRequest, Store, StoreError};

/// The slowest an export may be drained (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainRule {
    /// Before this, any rate is fine (a client may pause to show a save dialog).
    pub grace: Duration,
    /// The average rate an export must keep up after the grace period.
    pub min_bytes_per_second: u64,
}

impl Default for DrainRule {
    fn default() -> Self {
        DrainRule {
            grace: Duration::from_secs(10),
            min_bytes_per_second: 64 * 1024,
        }
    }
}

impl DrainRule {
    /// When an export that started at `started` must have handed over `bytes`.
    fn deadline(&self, started: Instant, bytes: u64) -> Instant {
        let rate = self.min_bytes_per_second.max(1);
        let needed = Duration::from_secs_f64(bytes as f64 / rate as f64);
        started + needed.max(self.grace)
    }
}

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

/// The HTTP body of an export. It ends with an error, never quietly, when the producer was
/// stopped part-way (a failure after the headers, or a client cut off as too slow), so the
/// client sees an aborted response rather than a short file.
pub struct ExportBody {
    chunks: ReceiverStream<Result<Bytes, io::Error>>,
    cut_off: Arc<AtomicBool>,
    ended: bool,
}

impl Stream for ExportBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.chunks).poll_next(cx) {
            Poll::Ready(None) => {
                self.ended = true;
                if self.cut_off.load(Ordering::Relaxed) {
                    Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client drained the export too slowly and was cut off",
                    ))))
                } else {
                    Poll::Ready(None)
                }
            }
            other => other,
        }
    }
}

type HeadSender<H> = oneshot::Sender<Result<Fresh<H>, ExportError>>;

/// The producer's side of an export: announce the head (or a 304), then hand over batches.
///
/// The head (and so the status line) goes out only with the first chunk of bytes, which is
/// sent once [`CHUNK_BYTES`] have gathered or at the end. So an export that fails early (a
/// plugin that refuses the table, overruns a limit, or never finishes) still answers with a
/// proper JSON error, and only a failure after the first 64 KiB can cut a response short.
pub struct Emitter<H> {
    head_tx: Option<HeadSender<H>>,
    pending_head: Option<H>,
    body_tx: mpsc::Sender<Result<Bytes, io::Error>>,
    exporter: Box<dyn Exporter>,
    buffer: Vec<u8>,
    started: bool,
    client_gone: bool,
    failure: Option<ExportError>,
    drain: DrainRule,
    runtime: tokio::runtime::Handle,
    began: Instant,
    sent: u64,
    cut_off: Arc<AtomicBool>,
}

impl<H> Emitter<H> {
    /// The client's copy is current: answer 304 and produce nothing.
    pub fn not_modified(&mut self, state: DatasetState) {
        if let Some(tx) = self.head_tx.take() {
            let _ = tx.send(Ok(Fresh::NotModified(state)));
        }
    }

    /// Whether the exporter wants the table's publisher and sources in the schema.
    pub fn wants_table(&self) -> bool {
        self.exporter.wants_table()
    }

    /// Keeps the headers' facts and writes the exporter's preamble. `Break` means stop
    /// producing.
    pub fn start(&mut self, head: H, schema: &ExportSchema) -> ControlFlow<()> {
        if self.head_tx.is_none() {
            return ControlFlow::Break(());
        }
        self.pending_head = Some(head);
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

    /// Sends the head if it has not gone yet. False when the client has gone.
    fn send_head(&mut self) -> bool {
        if let Some(head) = self.pending_head.take()
            && let Some(tx) = self.head_tx.take()
            && tx.send(Ok(Fresh::Modified(head))).is_err()
        {
            self.client_gone = true;
            return false;
        }
        true
    }

    /// Writes one batch, sending a chunk whenever enough bytes have gathered.
    pub fn batch(&mut self, batch: &Batch) -> ControlFlow<()> {
        if let Err(e) = self.exporter.write(batch, &mut self.buffer) {
            self.failure = Some(e);
            return ControlFlow::Break(());
        }
        if self.buffer.len() >= CHUNK_BYTES {
            if !self.send_head() {
                return ControlFlow::Break(());
            }
            let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES * 2));
            if !self.send(chunk) {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    /// Hands a chunk to the body, waiting for the client no longer than the drain rule
    /// allows. False when the client has gone or was cut off.
    fn send(&mut self, chunk: Vec<u8>) -> bool {
        let length = chunk.len() as u64;
        let item = match self.body_tx.try_send(Ok(Bytes::from(chunk))) {
            Ok(()) => {
                self.sent += length;
                return true;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.client_gone = true;
                return false;
            }
            Err(mpsc::error::TrySendError::Full(item)) => item,
        };
        let deadline = self.drain.deadline(self.began, self.sent + length);
        let sent = self.runtime.block_on(tokio::time::timeout_at(
            tokio::time::Instant::from_std(deadline),
            self.body_tx.send(item),
        ));
        match sent {
            Ok(Ok(())) => {
                self.sent += length;
                true
            }
            Ok(Err(_)) => {
                self.client_gone = true;
                false
            }
            Err(_) => {
                tracing::warn!(
                    bytes = self.sent,
                    seconds = self.began.elapsed().as_secs(),
                    min_bytes_per_second = self.drain.min_bytes_per_second,
                    "export cut off: the client drained it too slowly"
                );
                self.cut_off.store(true, Ordering::Relaxed);
                self.client_gone = true;
                false
            }
        }
    }

    fn end(mut self, outcome: Result<(), ExportError>) {
        let outcome = outcome.and_then(|()| match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        });
        match outcome {
            Ok(()) if self.client_gone || !self.started => {}
            Ok(()) => match self.exporter.finish(&mut self.buffer) {
                Err(e) => self.fail(e),
                Ok(()) => {
                    if self.send_head() && !self.buffer.is_empty() {
                        let buffer = std::mem::take(&mut self.buffer);
                        let _ = self.send(buffer);
                    }
                }
            },
            Err(err) => self.fail(err),
        }
    }

    fn fail(&mut self, err: ExportError) {
        match self.head_tx.take() {
            Some(tx) => {
                let _ = tx.send(Err(err));
            }
            None => {
                // Headers are gone: end the body with an error so the client sees an aborted
                // (visibly incomplete) response rather than a short file.
                tracing::error!(error = %err, "export failed after the headers were sent");
                // The body ends aborted whether or not this error fits in the channel.
                self.cut_off.store(true, Ordering::Relaxed);
                let _ = self
                    .body_tx
                    .try_send(Err(io::Error::other(err.to_string())));
            }
        }
    }
}

/// Runs `produce` on a blocking thread through `exporter`. Resolves once the producer has
/// decided on the headers (so errors and 304s are known before any byte is sent); the bytes
/// follow on the returned stream. `drain` is how slowly the client may read them.
pub async fn run<H, P>(
    exporter: Box<dyn Exporter>,
    drain: DrainRule,
    produce: P,
) -> Result<Fresh<(H, ExportBody)>, ExportError>
where
    H: Send + 'static,
    P: FnOnce(&mut Emitter<H>) -> Result<(), ExportError> + Send + 'static,
{
    let (head_tx, head_rx) = oneshot::channel();
    let (body_tx, body_rx) = mpsc::channel(CHANNEL_CHUNKS);
    let cut_off = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Handle::current();
    let flag = cut_off.clone();
    tokio::task::spawn_blocking(move || {
        let mut emitter = Emitter {
            head_tx: Some(head_tx),
            pending_head: None,
            body_tx,
            exporter,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            started: false,
            client_gone: false,
            failure: None,
            drain,
            runtime,
            began: Instant::now(),
            sent: 0,
            cut_off: flag,
        };
        let outcome = produce(&mut emitter);
        emitter.end(outcome);
    });
    match head_rx.await {
        Ok(Ok(Fresh::NotModified(state))) => Ok(Fresh::NotModified(state)),
        Ok(Ok(Fresh::Modified(head))) => Ok(Fresh::Modified((
            head,
            ExportBody {
                chunks: ReceiverStream::new(body_rx),
                cut_off,
                ended: false,
            },
        ))),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(StoreError::Task("the export ended before answering".into()).into()),
    }
}

/// Exports `request` on `dataset` from one read snapshot on the exports' own pool. `slot` (the
/// export's admission permit) is held until the producer ends.
pub async fn dataset<S: Send + 'static>(
    store: &Store,
    dataset: String,
    request: RowRequest,
    unchanged_since: Option<DatasetState>,
    exporter: Box<dyn Exporter>,
    drain: DrainRule,
    slot: S,
) -> Result<Fresh<(ExportHead, ExportBody)>, ExportError> {
    let store = store.clone();
    run(exporter, drain, move |emitter: &mut Emitter<ExportHead>| {
        let _slot = slot;
        store
            .export_blocking(|session| {
                match session.plan(&dataset, &request, unchanged_since)? {
                    Fresh::NotModified(state) => emitter.not_modified(state),
                    Fresh::Modified((state, plan)) => {
                        let head = ExportHead {
                            state,
                            meta: plan.meta.clone(),
                        };
                        let mut schema = ExportSchema::for_plan(&plan);
                        if emitter.wants_table() {
                            schema.table = Arc::new(super::table_description(session, &plan.meta)?);
                        }
                        if emitter.start(head, &schema).is_continue() {
                            session.scan(&plan, BATCH_ROWS, |batch| emitter.batch(batch))?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(ExportError::from)
    })
    .await
}
