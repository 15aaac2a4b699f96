//! A connection's reader thread: blocking reads, fed to the engine, whose
//! replies it writes at once; under `loop_start` it also runs the
//! callbacks for what it read.
//!
//! Running the callbacks here saves a hand-over to the loop thread for
//! every batch of messages (a wake-up and a context switch each). The cost
//! is Paho's: while a callback runs, this connection is not read. A
//! `wait_for_publish` inside such a callback, which would wait for input
//! this thread has to read, first hands the reading over to a new thread
//! through [`hand_over_reading`].

use crate::client::{Client, Inner, PENDING_EVENTS};
use crate::event_loop::Dispatcher;
use std::cell::RefCell;
use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::thread;
use std::time::{Duration, Instant};

/// Reads of one connection: everything a reader thread needs, so that it
/// can move to another thread.
pub(crate) struct Reading {
    /// The connection it belongs to.
    pub epoch: u64,
    pub reader: Box<dyn Read + Send>,
    /// The client, held weakly: dropping the last handle still closes the
    /// connection, which ends this thread.
    pub inner: Weak<Inner>,
    buf: Vec<u8>,
}

impl Reading {
    pub(crate) fn new(epoch: u64, reader: Box<dyn Read + Send>, inner: Weak<Inner>) -> Self {
        Self {
            epoch,
            reader,
            inner,
            buf: vec![0; 64 * 1024],
        }
    }

    /// Starts a thread reading until the connection ends.
    pub(crate) fn spawn(self) -> std::io::Result<()> {
        thread::Builder::new()
            .name("mqtt-reader".into())
            .spawn(move || self.run())
            .map(drop)
    }

    fn run(mut self) {
        loop {
            let result = self.reader.read(&mut self.buf);
            match result {
                Ok(0) => {
                    if let Some(inner) = self.inner.upgrade() {
                        inner.handle_closed(self.epoch, None);
                    }
                    return;
                }
                Ok(n) => {
                    let inner = loop {
                        let Some(inner) = self.inner.upgrade() else {
                            return;
                        };
                        match inner.handle_read(self.epoch, &self.buf[..n]) {
                            Fed::Done { dispatch: false } => break None,
                            Fed::Done { dispatch: true } => break Some(inner),
                            Fed::Stale => return,
                            Fed::Backlog => {}
                        }
                    };
                    if let Some(inner) = inner {
                        match self.dispatch(Client { inner }) {
                            Some(this) => self = this,
                            None => return,
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(inner) = self.inner.upgrade() {
                        inner.handle_closed(self.epoch, Some(e));
                    }
                    return;
                }
            }
        }
    }

    /// Runs the callbacks, lending the reading to this thread's slot while
    /// they run. `None` when a callback took it over.
    fn dispatch(self, client: Client) -> Option<Self> {
        let epoch = self.epoch;
        LENT.with(|slot| *slot.borrow_mut() = Some(self));
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            client.dispatch_pending(Dispatcher::Reader)
        }));
        let this = LENT.with(|slot| slot.borrow_mut().take());
        if ran.is_err() {
            // The panic was reported by the panic hook. Drop the connection
            // rather than leave it unread; the loop reconnects.
            client.inner.handle_closed(epoch, Some(callback_panicked()));
            return None;
        }
        this
    }
}

thread_local! {
    /// The reading of the connection whose callbacks this thread runs.
    static LENT: RefCell<Option<Reading>> = const { RefCell::new(None) };
}

/// Whether this thread is a reader running callbacks, with its reading
/// still here to hand over.
pub(crate) fn holds_reading() -> bool {
    LENT.with(|slot| slot.borrow().is_some())
}

/// Call before a wait for the network: if this thread is a reader running
/// callbacks, a new thread takes over its reading, so the input the caller
/// waits for still arrives. Once the callbacks return, this thread ends.
pub(crate) fn hand_over_reading() {
    let Some(reading) = LENT.with(|slot| slot.borrow_mut().take()) else {
        return;
    };
    if let Err(e) = reading.spawn() {
        // The connection is no longer read; keep alive will find it dead.
        log::error!("cannot start a reader thread: {e}");
    }
}

/// What became of bytes handed to [`Inner::handle_read`].
pub(crate) enum Fed {
    /// Fed to the engine; `dispatch` when this thread should run the
    /// callbacks for what it produced.
    Done { dispatch: bool },
    /// The connection is no longer the current one.
    Stale,
    /// Too many events wait for the loop; try again.
    Backlog,
}

impl Inner {
    /// Feeds bytes read on connection `epoch` to the engine and writes its
    /// replies at once, so acknowledgements need no hop to another thread.
    pub(crate) fn handle_read(&self, epoch: u64, data: &[u8]) -> Fed {
        let mut core = self.lock_core();
        if core.pending.len() >= PENDING_EVENTS && core.epoch == epoch {
            // The callbacks are behind (or no loop runs): wait a while,
            // then let the caller check that the client still exists.
            core = self
                .drained
                .wait_timeout(core, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if core.pending.len() >= PENDING_EVENTS {
                return Fed::Backlog;
            }
        }
        if core.epoch != epoch {
            return Fed::Stale;
        }
        let now = Instant::now();
        core.session.handle_input(now, data);
        let absorbed = self.absorb(&mut core, now);
        let dispatch = !core.pending.is_empty() && self.reader_dispatch.load(Ordering::Acquire);
        // The loop is woken for the events only if this thread leaves them.
        self.flush_with(core, !dispatch);
        absorbed.finish(self);
        Fed::Done { dispatch }
    }

    /// The connection `epoch` ended (EOF, or `error`).
    /// Drops the current connection after a callback panicked on the loop
    /// thread, as [`Reading::dispatch`] does on a reader thread.
    pub(crate) fn drop_connection_after_panic(&self) {
        let epoch = self.lock_core().epoch;
        self.handle_closed(epoch, Some(callback_panicked()));
    }

    pub(crate) fn handle_closed(&self, epoch: u64, error: Option<std::io::Error>) {
        let mut core = self.lock_core();
        if core.epoch != epoch {
            return;
        }
        if let Some(e) = error {
            log::debug!("connection closed: {e}");
            // A transport failure before CONNACK (a TLS alert sent after
            // the handshake, such as a missing client certificate) is the
            // answer a waiting `connect` gets.
            if core.connack.is_none() && !core.session.is_connected() {
                core.connack = Some(Err(crate::Error::from(e)));
            }
        }
        let now = Instant::now();
        core.session.handle_transport_closed(now);
        if let Some(shutdown) = core.shutdown.take() {
            shutdown();
        }
        let absorbed = self.absorb(&mut core, now);
        // Nothing to send on a closed connection: this only wakes the loop
        // for the events (it also reconnects).
        self.flush(core);
        absorbed.finish(self);
    }
}

/// Why a connection was dropped after a callback panicked.
fn callback_panicked() -> std::io::Error {
    std::io::Error::other("a callback panicked")
}
