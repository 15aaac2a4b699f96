//! The network loop: Paho's `loop`, `loop_forever`, `loop_start` and
//! `loop_stop`, automatic reconnection, and callback dispatch.

use crate::callbacks::ConnectInfo;
use crate::client::{Client, Core, Inner, LoopMsg};
use crate::error::Error;
use crate::handle::Settled;
use mqtt_proto::ReasonCode;
use mqtt_session::{Disconnection, Event};
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::TryLockError;
use std::time::{Duration, Instant};

/// One round of the loop: wait for input, a timer or a wake-up (at most
/// `max_wait`), feed the engine, write its output, run the callbacks.
/// Returns false when `loop_stop` asked the loop to end.
pub(crate) fn drive(client: &Client, rx: &Receiver<LoopMsg>, max_wait: Duration) -> bool {
    let inner = &client.inner;
    let wait = {
        let core = inner.lock_core();
        let now = Instant::now();
        let mut until = now + max_wait;
        if let Some(deadline) = core.session.poll_timeout() {
            until = until.min(deadline);
        }
        if let Some(at) = core.reconnect_at {
            until = until.min(at);
        }
        until.saturating_duration_since(now)
    };
    let first = match rx.recv_timeout(wait) {
        Ok(msg) => Some(msg),
        Err(RecvTimeoutError::Timeout) => None,
        Err(RecvTimeoutError::Disconnected) => return false,
    };
    let mut running = true;
    let mut core = inner.lock_core();
    let now = Instant::now();
    let mut handle = |msg: LoopMsg| match msg {
        LoopMsg::Stop => running = false,
        LoopMsg::Wake => {}
    };
    if let Some(msg) = first {
        handle(msg);
    }
    // Take whatever else already arrived, so one wake-up serves a burst.
    for _ in 0..64 {
        match rx.try_recv() {
            Ok(msg) => handle(msg),
            Err(_) => break,
        }
    }
    inner.wake_pending.store(false, Ordering::Release);
    if core.session.poll_timeout().is_some_and(|d| d <= now) {
        core.session.handle_timeout(now);
    }
    let absorbed = inner.absorb(&mut core, now);
    // This thread runs the callbacks itself: no wake-up for them.
    inner.flush_with(core, false);
    absorbed.finish(inner);
    client.dispatch_pending(Dispatcher::Loop);
    running && !inner.stop.load(Ordering::Acquire)
}

thread_local! {
    /// The clients (by address) whose callbacks this thread is running,
    /// innermost last: a callback may drive another client's loop.
    static RUNNING_CALLBACKS_OF: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as running `inner`'s callbacks until dropped, a
/// panicking callback included.
struct RunningCallbacks;

impl RunningCallbacks {
    fn enter(inner: &Inner) -> Self {
        RUNNING_CALLBACKS_OF.with(|s| s.borrow_mut().push(address(inner)));
        Self
    }
}

impl Drop for RunningCallbacks {
    fn drop(&mut self) {
        RUNNING_CALLBACKS_OF.with(|s| s.borrow_mut().pop());
    }
}

fn address(inner: &Inner) -> usize {
    inner as *const Inner as usize
}

/// Whether this thread is inside one of `inner`'s callbacks (and so holds
/// its dispatch turn).
fn runs_callbacks_of(inner: &Inner) -> bool {
    RUNNING_CALLBACKS_OF.with(|s| s.borrow().contains(&address(inner)))
}

/// Who asks to run the callbacks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dispatcher {
    /// The thread running a loop.
    Loop,
    /// A reader thread, which runs callbacks only while `loop_start` runs.
    Reader,
}

impl Client {
    /// Runs the callbacks for the pending events, unless another thread is
    /// running callbacks: that thread then runs these too, since it looks
    /// for more after giving up its turn.
    pub(crate) fn dispatch_pending(&self, by: Dispatcher) {
        let inner = &self.inner;
        loop {
            let turn = match inner.dispatch_turn.try_lock() {
                Ok(turn) => turn,
                // A callback panicked on another thread; the turn is free.
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            // loop_stop may have ended the reader's part since it decided
            // to dispatch; the events then wait for a loop.
            if by == Dispatcher::Reader && !inner.reader_dispatch.load(Ordering::Acquire) {
                drop(turn);
                inner.wake();
                return;
            }
            self.dispatch_with_turn();
            drop(turn);
            // Events queued by a thread that found the turn taken, after
            // the last look above, are this thread's to run. The look is
            // under the engine's lock, which orders it after their queuing.
            if inner.lock_core().pending.is_empty() {
                return;
            }
        }
    }

    /// Runs the pending events' callbacks; the caller holds the turn.
    fn dispatch_with_turn(&self) {
        let inner = &self.inner;
        loop {
            let events = std::mem::take(&mut inner.lock_core().pending);
            if events.is_empty() {
                return;
            }
            // Each notification is a system call: only when a reader may
            // wait for room.
            if events.len() >= crate::client::PENDING_EVENTS {
                inner.drained.notify_all();
            }
            let _running = RunningCallbacks::enter(inner);
            self.callbacks().dispatch(self, events);
        }
    }

    /// Runs `f` as a callback of the loop: after the pending events'
    /// callbacks, and never beside another callback of this client.
    fn run_as_callback(&self, f: impl FnOnce()) {
        if runs_callbacks_of(&self.inner) {
            return f();
        }
        let _turn = self
            .inner
            .dispatch_turn
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.dispatch_with_turn();
        let _running = RunningCallbacks::enter(&self.inner);
        f();
    }
}

/// What [`Inner::absorb`] leaves to do once the engine's lock is released.
#[must_use]
pub(crate) struct Absorbed {
    /// Outcomes for message handles.
    settled: Vec<Settled>,
    /// Closes the transport: the engine ended the connection, and the
    /// DISCONNECT it queued must be flushed first.
    close: Option<Box<dyn Fn() + Send + Sync>>,
    /// A `connect` waits on the CONNACK condition variable (signalled only
    /// then: each notification is a system call).
    connect_waits: bool,
}

impl Absorbed {
    /// Closes the transport if asked, completes the handles and wakes a
    /// waiting `connect`. Call after flushing, with no lock held.
    pub(crate) fn finish(self, inner: &Inner) {
        if let Some(close) = self.close {
            close();
        }
        for settled in self.settled {
            settled.deliver();
        }
        if self.connect_waits {
            inner.connack_cv.notify_all();
        }
    }
}

impl Inner {
    /// Takes the engine's events: settles message handles, keeps the
    /// connection state (CONNACK for `connect`, reconnect timing), and
    /// queues in `core.pending` the events callbacks may want. Runs on
    /// whichever thread fed the engine, so a reader thread completes a
    /// handle without waking the loop thread.
    pub(crate) fn absorb(&self, core: &mut Core, now: Instant) -> Absorbed {
        let mut absorbed = Absorbed {
            settled: Vec::new(),
            close: None,
            connect_waits: core.connack_waiters > 0,
        };
        if !core.session.has_events() {
            return absorbed;
        }
        let on_publish = self
            .callbacks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .on_publish
            .is_some();
        while let Some(e) = core.session.poll_event() {
            absorbed.settled.extend(core.completions.settle(&e));
            match &e {
                Event::Connected {
                    session_present,
                    properties,
                } => {
                    core.backoff.reset();
                    core.ever_connected = true;
                    core.reconnect_at = None;
                    core.connack = Some(Ok(ConnectInfo {
                        session_present: *session_present,
                        reason: ReasonCode::Success,
                        properties: (**properties).clone(),
                    }));
                }
                Event::Disconnected(why) => {
                    absorbed.close = core.shutdown.take();
                    if let Disconnection::Refused { reason, properties } = why {
                        core.connack =
                            Some(Err(crate::client::refused(*reason, properties.clone())));
                    } else if core.connack.is_none() && !core.session.is_connected() {
                        // Lost before CONNACK: a waiting `connect` must not hang.
                        core.connack = Some(Err(Error::ConnectionLost(format!("{why:?}"))));
                    }
                    if core.wanted && !matches!(why, Disconnection::Local { .. }) {
                        let delay = core.backoff.next_delay();
                        core.reconnect_at = Some(now + delay);
                    }
                }
                // Nothing else to do for it: no need to wake the loop.
                Event::Published { .. } if !on_publish => continue,
                _ => {}
            }
            core.pending.push(e);
        }
        absorbed
    }
}

impl Client {
    /// Runs the network loop for at most `timeout` (Paho's `loop`): reads,
    /// timers, writes and callbacks. Call it often, or use loop_start /
    /// loop_forever. Fails if another thread runs this client's loop.
    pub fn loop_once(&self, timeout: Duration) -> Result<(), Error> {
        let rx = self
            .inner
            .rx
            .try_lock()
            .map_err(|_| Error::LoopAlreadyRunning)?;
        if !self.inner.lock_core().session.has_connection() && !self.reconnect_due() {
            return Err(Error::NotConnected);
        }
        self.maybe_reconnect(false)?;
        drive(self, &rx, timeout);
        Ok(())
    }

    /// Runs the network loop until `disconnect` is called (Paho's
    /// `loop_forever`), reconnecting with backoff whenever the connection
    /// is lost. With `retry_first_connection` false, a failure to open the
    /// very first connection is returned instead of retried.
    pub fn loop_forever_with(&self, retry_first_connection: bool) -> Result<(), Error> {
        let rx = self
            .inner
            .rx
            .try_lock()
            .map_err(|_| Error::LoopAlreadyRunning)?;
        self.inner.stop.store(false, Ordering::Release);
        loop {
            self.maybe_reconnect(retry_first_connection)?;
            if !drive(self, &rx, Duration::from_secs(1)) {
                return Ok(());
            }
            let core = self.inner.lock_core();
            if !core.wanted
                && !core.session.has_connection()
                && !core.session.has_events()
                && core.pending.is_empty()
            {
                return Ok(());
            }
        }
    }

    /// [`Client::loop_forever_with`], retrying the first connection too.
    pub fn loop_forever(&self) -> Result<(), Error> {
        self.loop_forever_with(true)
    }

    /// Runs loop_forever in a background thread (Paho's `loop_start`).
    /// Callbacks for what a connection reads then run on its reader
    /// thread, one at a time; see the crate's notes on threads.
    pub fn loop_start(&self) -> Result<(), Error> {
        let mut bg = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if bg.is_some() {
            return Err(Error::LoopAlreadyRunning);
        }
        self.inner.stop.store(false, Ordering::Release);
        self.inner.reader_dispatch.store(true, Ordering::Release);
        let client = self.clone();
        *bg = Some(
            std::thread::Builder::new()
                .name("mqtt-loop".into())
                .spawn(move || {
                    let rx = client.inner.rx.lock().unwrap_or_else(|e| e.into_inner());
                    // A Stop left by a loop that ended on its flag is not
                    // for this one (the flag was reset above).
                    while rx.try_recv().is_ok() {}
                    loop {
                        // A loop_stop whose Stop message was drained above.
                        if client.inner.stop.load(Ordering::Acquire) {
                            return Ok(());
                        }
                        if let Err(e) = client.maybe_reconnect(true) {
                            client.run_as_callback(|| {
                                client.log(log::Level::Warn, &format!("{e}"));
                            });
                        }
                        let driven = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            drive(&client, &rx, Duration::from_secs(1))
                        }));
                        match driven {
                            Ok(true) => {}
                            Ok(false) => return Ok(()),
                            // A callback run here panicked (which thread runs
                            // a callback, this one or a reader, is a race).
                            // As on a reader thread, the panic hook reported
                            // it and the connection goes, not the loop: it
                            // reconnects.
                            Err(_) => client.inner.drop_connection_after_panic(),
                        }
                    }
                })
                .map_err(Error::from)?,
        );
        Ok(())
    }

    /// Stops the background loop and waits for its thread (Paho's `loop_stop`).
    /// The connection stays as it is; call `disconnect` first to close it.
    pub fn loop_stop(&self) -> Result<(), Error> {
        let handle = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(handle) = handle else {
            return Ok(());
        };
        // No callback runs after this returns: none starts on a reader
        // thread from now on, and one running there is waited for, unless
        // it is the caller.
        self.inner.reader_dispatch.store(false, Ordering::Release);
        if !runs_callbacks_of(&self.inner) {
            drop(self.inner.dispatch_turn.lock());
        }
        self.inner.stop.store(true, Ordering::Release);
        let _ = self.inner.tx.try_send(LoopMsg::Stop);
        if runs_callbacks_of(&self.inner) {
            // Called from a callback (as Paho allows): the loop thread ends
            // on its own. Joining it here could wait for itself, or for a
            // loop thread waiting for this callback to end.
            return Ok(());
        }
        handle
            .join()
            .unwrap_or_else(|_| Err(Error::ConnectionLost("loop thread panicked".into())))
    }

    fn reconnect_due(&self) -> bool {
        let core = self.inner.lock_core();
        core.wanted
            && !core.session.has_connection()
            && core.reconnect_at.is_some_and(|t| t <= Instant::now())
    }

    /// Opens a new connection if one is wanted and its time has come.
    fn maybe_reconnect(&self, retry_first: bool) -> Result<(), Error> {
        if !self.reconnect_due() {
            return Ok(());
        }
        match self.inner.establish() {
            Ok(()) => Ok(()),
            Err(e) => {
                self.run_as_callback(|| {
                    self.log(log::Level::Warn, &format!("connect failed: {e}"));
                    if let Some(cb) = &self.callbacks().on_connect_fail {
                        cb(self, &e);
                    }
                });
                let mut core = self.inner.lock_core();
                if !retry_first && !core.ever_connected {
                    core.wanted = false;
                    core.reconnect_at = None;
                    return Err(e);
                }
                let delay = core.backoff.next_delay();
                core.reconnect_at = Some(Instant::now() + delay);
                Ok(())
            }
        }
    }
}
