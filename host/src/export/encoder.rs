//! The encoding half of an export: an [`Exporter`] turning batches into bytes, gathered into
//! chunks for the HTTP body, with the head held back until the first chunk and the
//! [`DrainRule`] applied to every send. It runs on the producer's thread for short exports
//! and on a thread of its own for long ones (see `stream.rs`); it is the same code either way.

use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::drain::DrainRule;
use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, DatasetState, Fresh};

/// Bytes collected before a chunk is handed to the body.
pub(super) const CHUNK_BYTES: usize = 64 * 1024;

pub(super) type HeadSender<H> = oneshot::Sender<Result<Fresh<H>, ExportError>>;

/// The head (or a 304, or an early error) goes out once, on `head_tx`; the bytes on
/// `body_tx`. The head (and so the status line) goes out only with the first chunk, sent
/// once [`CHUNK_BYTES`] have gathered or at the end, so an export that fails early (a plugin
/// that refuses the table, overruns a limit, or never finishes) still answers with a proper
/// JSON error, and only a failure after the first 64 KiB can cut a response short.
pub(super) struct Encoder<H> {
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

impl<H> Encoder<H> {
    pub(super) fn new(
        head_tx: HeadSender<H>,
        body_tx: mpsc::Sender<Result<Bytes, io::Error>>,
        exporter: Box<dyn Exporter>,
        drain: DrainRule,
        runtime: tokio::runtime::Handle,
        cut_off: Arc<AtomicBool>,
    ) -> Self {
        Encoder {
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
            cut_off,
        }
    }

    pub(super) fn not_modified(&mut self, state: DatasetState) {
        if let Some(tx) = self.head_tx.take() {
            let _ = tx.send(Ok(Fresh::NotModified(state)));
        }
    }

    pub(super) fn wants_table(&self) -> bool {
        self.exporter.wants_table()
    }

    /// Keeps the headers' facts and writes the exporter's preamble.
    pub(super) fn start(&mut self, head: H, schema: &ExportSchema) -> ControlFlow<()> {
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

    /// Writes one batch, sending a chunk whenever enough bytes have gathered.
    pub(super) fn batch(&mut self, batch: &Batch) -> ControlFlow<()> {
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

    /// Marks the body as ending aborted: set before the last sender goes, so the body reads
    /// it when it sees the channel close.
    pub(super) fn abort(&self) {
        self.cut_off.store(true, Ordering::Relaxed);
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
        // The timer is made inside the future: the encoder's own thread is outside the
        // runtime's context, and a timer made there has no reactor to register with.
        let body_tx = &self.body_tx;
        let sent = self.runtime.block_on(async {
            tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), body_tx.send(item))
                .await
        });
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
                self.abort();
                self.client_gone = true;
                false
            }
        }
    }

    /// Finishes the export with the producer's outcome: the exporter's epilogue and the last
    /// chunk, or the error (as the answer while no header has gone, else an aborted body).
    pub(super) fn end(mut self, outcome: Result<(), ExportError>) {
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
                self.abort();
                let _ = self
                    .body_tx
                    .try_send(Err(io::Error::other(err.to_string())));
            }
        }
    }
}
