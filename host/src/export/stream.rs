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
use std::sync::mpsc as std_mpsc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use super::drain::DrainRule;
use super::encoder::Encoder;
use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, DatasetMeta, DatasetState, Fresh, RowRequest, Store, StoreError};

/// Rows per batch read from SQLite.
const BATCH_ROWS: usize = 1024;
/// Chunks in flight between the encoder and the socket.
const CHANNEL_CHUNKS: usize = 4;
/// Batches queued between the scan and the encoder's thread: one being filled, one waiting,
/// one being encoded, so a long export holds three batches, whatever its size.
const QUEUED_BATCHES: usize = 1;

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

/// The producer's side of an export: announce the head (or a 304), then hand over batches.
///
/// Reading rows from SQLite and encoding them cost about the same, so an export longer than
/// one batch is a pipeline: the scan goes on while a thread of the export's own encodes the
/// previous batch. A shorter one (most pages, every indicator) is encoded where it is read,
/// without a thread to start.
pub struct Emitter<H: Send + 'static> {
    stage: Stage<H>,
}

enum Stage<H> {
    /// Encoding on the producer's thread; `may_pipe` once a batch has been encoded here and
    /// until a thread could not be started.
    Inline {
        encoder: Encoder<H>,
        encoded: usize,
        may_pipe: bool,
    },
    /// Encoding on the encoder's thread, fed through a bounded channel.
    Piped(Pipe),
    /// The encoder was lost (its thread panicked or could not take it): produce nothing more.
    Stopped,
}

enum Message {
    Batch(Batch),
    End(Result<(), ExportError>),
}

struct Pipe {
    to_encoder: std_mpsc::SyncSender<Message>,
    /// Encoded batches handed back, so a long export copies into buffers it already has.
    spares: std_mpsc::Receiver<Batch>,
    thread: std::thread::JoinHandle<()>,
}

impl<H: Send + 'static> Emitter<H> {
    /// The client's copy is current: answer 304 and produce nothing.
    pub fn not_modified(&mut self, state: DatasetState) {
        if let Stage::Inline { encoder, .. } = &mut self.stage {
            encoder.not_modified(state);
        }
    }

    /// Whether the exporter wants the table's publisher and sources in the schema.
    pub fn wants_table(&self) -> bool {
        match &self.stage {
            Stage::Inline { encoder, .. } => encoder.wants_table(),
            _ => false,
        }
    }

    /// Keeps the headers' facts and writes the exporter's preamble. `Break` means stop
    /// producing.
    pub fn start(&mut self, head: H, schema: &ExportSchema) -> ControlFlow<()> {
        match &mut self.stage {
            Stage::Inline { encoder, .. } => encoder.start(head, schema),
            _ => ControlFlow::Break(()),
        }
    }

    /// Writes one batch (here, or by handing a copy to the encoder's thread). `Break` means
    /// stop producing: the exporter failed or the client has gone.
    pub fn batch(&mut self, batch: &Batch) -> ControlFlow<()> {
        match &mut self.stage {
            Stage::Inline {
                encoder,
                encoded,
                may_pipe,
            } if *encoded == 0 || !*may_pipe => {
                *encoded += 1;
                encoder.batch(batch)
            }
            Stage::Inline { .. } => {
                self.pipe();
                self.batch(batch)
            }
            Stage::Piped(pipe) => {
                let mut copy = pipe
                    .spares
                    .try_recv()
                    .unwrap_or_else(|_| batch.empty_like());
                copy.copy_from(batch);
                match pipe.to_encoder.send(Message::Batch(copy)) {
                    Ok(()) => ControlFlow::Continue(()),
                    // The encoder stopped: the exporter failed or the client went away.
                    Err(_) => ControlFlow::Break(()),
                }
            }
            Stage::Stopped => ControlFlow::Break(()),
        }
    }

    /// Moves the encoder onto a thread of its own. If no thread can be started, encoding goes
    /// on here (slower, not wrong).
    fn pipe(&mut self) {
        let Stage::Inline { encoder, .. } = std::mem::replace(&mut self.stage, Stage::Stopped)
        else {
            return;
        };
        // The encoder is sent only once the thread runs, so it is still ours if it cannot.
        let (hand_over, take_over) = std_mpsc::sync_channel::<Encoder<H>>(1);
        let (to_encoder, messages) = std_mpsc::sync_channel(QUEUED_BATCHES);
        let (spare_tx, spares) = std_mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("logam-export-encoder".into())
            .spawn(move || {
                if let Ok(encoder) = take_over.recv() {
                    encode(encoder, &messages, &spare_tx);
                }
            });
        self.stage = match spawned {
            Ok(thread) => match hand_over.send(encoder) {
                Ok(()) => Stage::Piped(Pipe {
                    to_encoder,
                    spares,
                    thread,
                }),
                Err(std_mpsc::SendError(encoder)) => Stage::Inline {
                    encoder,
                    encoded: 1,
                    may_pipe: false,
                },
            },
            Err(e) => {
                tracing::warn!(error = %e, "no thread for an export's encoder: encoding inline");
                Stage::Inline {
                    encoder,
                    encoded: 1,
                    may_pipe: false,
                }
            }
        };
    }

    /// Finishes the export with the producer's outcome, and waits for the encoder's thread,
    /// so the export's slot is held until its last byte is handed over.
    fn end(self, outcome: Result<(), ExportError>) {
        match self.stage {
            Stage::Inline { encoder, .. } => encoder.end(outcome),
            Stage::Piped(pipe) => {
                let _ = pipe.to_encoder.send(Message::End(outcome));
                drop(pipe.to_encoder);
                if pipe.thread.join().is_err() {
                    tracing::error!("an export's encoder panicked");
                }
            }
            Stage::Stopped => {}
        }
    }
}

/// The encoder's thread: encodes batches as they come, hands their buffers back, and ends
/// the export when the producer says so (or stops early when the exporter fails or the client
/// goes, which the producer sees as a closed channel). A panic in the exporter ends the body
/// aborted rather than as a short file that looks whole.
fn encode<H>(
    mut encoder: Encoder<H>,
    messages: &std_mpsc::Receiver<Message>,
    spares: &std_mpsc::Sender<Batch>,
) {
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for message in messages.iter() {
            match message {
                Message::Batch(mut batch) => {
                    if encoder.batch(&batch).is_break() {
                        return None;
                    }
                    batch.clear();
                    let _ = spares.send(batch);
                }
                Message::End(outcome) => return Some(outcome),
            }
        }
        // The producer went without a word (it panicked): nothing more will come.
        None
    }));
    match ran {
        Ok(Some(outcome)) => encoder.end(outcome),
        Ok(None) => encoder.end(Ok(())),
        Err(_) => {
            tracing::error!("an export's exporter panicked");
            encoder.abort();
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
            stage: Stage::Inline {
                encoder: Encoder::new(head_tx, body_tx, exporter, drain, runtime, flag),
                encoded: 0,
                may_pipe: true,
            },
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
