//! Paho's loops: `loop_once` (Paho's `loop`), `loop_forever`,
//! `loop_start` / `loop_stop`. Each is a thread taking the baton and
//! turning the network until its end condition, running the callbacks.

use crate::client::Client;
use crate::network::Wait;
use mqtt_client::Error;
use std::time::{Duration, Instant};

impl Client {
    /// Runs the network for at most `timeout` (Paho's `loop`): waits for
    /// input, a timer or a command's work, reads, runs the timers, writes,
    /// reconnects when due, and runs the callbacks of everything that
    /// happened, including what happened since the last call (an
    /// on_disconnect after `disconnect`). Fails while a `loop_start` or
    /// `loop_forever` runs, and with [`Error::NotConnected`] when there is
    /// no connection, none wanted and nothing to report. While the broker
    /// streams, it first lets input gather for the batch window
    /// ([`ClientOptions::batch_window`](mqtt_client::ClientOptions::batch_window)),
    /// within `timeout`.
    #[doc(alias = "loop")]
    pub fn loop_once(&self, timeout: Duration) -> Result<(), Error> {
        let shared = &self.inner.net;
        let me = std::thread::current().id();
        if shared.lock().loop_owner.is_some_and(|owner| owner != me) {
            return Err(Error::LoopAlreadyRunning);
        }
        let Some(baton) = shared.acquire() else {
            // Inside one of this client's callbacks: the loop that runs it
            // goes on once it returns.
            return Err(Error::LoopAlreadyRunning);
        };
        shared.reconnect_if_due();
        {
            let st = shared.lock();
            if !st.core.has_transport()
                && st.opened.is_none()
                && !st.core.has_events()
                && !st.core.wants_open(Instant::now())
            {
                return Err(Error::NotConnected);
            }
        }
        let events = shared.turn(
            &mut shared.io(),
            Wait::Until(Some(Instant::now() + timeout)),
            true,
        );
        self.dispatch(events);
        drop(baton);
        Ok(())
    }

    /// Runs the network until `disconnect` is called (Paho's
    /// `loop_forever(retry_first_connection=...)`), reconnecting with
    /// backoff whenever the connection is lost. With
    /// `retry_first_connection` false, a failure to open the very first
    /// connection (asked with `connect_async`) is returned instead of
    /// retried, after on_connect_fail ran.
    #[doc(alias = "loop_forever")]
    pub fn loop_forever_with(&self, retry_first_connection: bool) -> Result<(), Error> {
        let shared = &self.inner.net;
        let me = std::thread::current().id();
        let epoch = {
            let mut st = shared.lock();
            if st.loop_owner.is_some() {
                return Err(Error::LoopAlreadyRunning);
            }
            st.loop_owner = Some(me);
            st.core.retry_first_connection(retry_first_connection);
            st.loop_epoch
        };
        let _owner = LoopOwner(self);
        let Some(_baton) = shared.acquire() else {
            return Err(Error::LoopAlreadyRunning);
        };
        loop {
            shared.reconnect_if_due();
            // Before the turn, which sleeps until input or a timer: with no
            // connection, none wanted and nothing to report (a loop started
            // after `loop_stop` on a closed connection, or on a client never
            // connected), nothing would ever wake it.
            {
                let st = shared.lock();
                if st.loop_epoch != epoch {
                    return Ok(());
                }
                let idle = !st.core.is_wanted()
                    && !st.core.has_transport()
                    && st.opened.is_none()
                    && !st.core.has_events();
                if idle {
                    // Without retries, a first connection that could not be
                    // opened is this loop's error.
                    return match st.core.outcome() {
                        Some(o) if !retry_first_connection && !st.core.ever_connected() => {
                            o.result.clone().map(|_| ())
                        }
                        _ => Ok(()),
                    };
                }
            }
            let events = shared.turn(&mut shared.io(), Wait::Until(None), true);
            self.dispatch(events);
        }
    }

    /// [`Client::loop_forever_with`] the option
    /// `ClientOptions::retry_first_connection`, off by default as in Paho:
    /// a first connection (`connect_async`) that cannot be opened ends the
    /// loop with its error.
    pub fn loop_forever(&self) -> Result<(), Error> {
        let retry = self.inner.net.lock().retry_first_connection;
        self.loop_forever_with(retry)
    }

    /// Runs the network in a background thread (Paho's `loop_start`):
    /// callbacks run there, one at a time, in order. It reconnects when the
    /// connection is lost, and retries a first connection that could not
    /// be opened (as Paho's thread does), until [`Client::loop_stop`].
    pub fn loop_start(&self) -> Result<(), Error> {
        let mut background = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let epoch = {
            let mut st = self.inner.net.lock();
            if background.is_some() || st.loop_owner.is_some() {
                return Err(Error::LoopAlreadyRunning);
            }
            st.core.retry_first_connection(true);
            st.loop_epoch
        };
        let client = self.clone();
        let handle = std::thread::Builder::new()
            .name("mqtt-loop".into())
            .spawn(move || client.run_background(epoch))
            .map_err(Error::from)?;
        self.inner.net.lock().loop_owner = Some(handle.thread().id());
        *background = Some(handle);
        Ok(())
    }

    fn run_background(&self, epoch: u64) -> Result<(), Error> {
        let shared = &self.inner.net;
        let _owner = LoopOwner(self);
        let Some(_baton) = shared.acquire() else {
            return Ok(());
        };
        loop {
            if shared.lock().loop_epoch != epoch {
                // What happened before `loop_stop` (a `disconnect` just
                // before it, say) still reaches its callbacks, as in Paho.
                let events = shared.turn(&mut shared.io(), Wait::No, true);
                self.dispatch(events);
                return Ok(());
            }
            shared.reconnect_if_due();
            let turned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let events = shared.turn(&mut shared.io(), Wait::Until(None), true);
                self.dispatch(events);
            }));
            if turned.is_err() {
                // A callback panicked (the panic hook reported it). The
                // connection goes, not the loop: it reconnects.
                let mut st = shared.lock();
                st.core.handle_transport_error(
                    Instant::now(),
                    std::io::Error::other("a callback panicked"),
                );
                drop(st);
                self.log(log::Level::Error, "a callback panicked: connection dropped");
            }
        }
    }

    /// Stops the background loop and waits for its thread (Paho's
    /// `loop_stop`): the callbacks of what happened before the call (the
    /// log line and on_disconnect of a `disconnect` just before, say) run
    /// on it first; none runs on it afterwards. The connection
    /// stays as it is: call `disconnect` first to close it. Called from a
    /// callback, it returns at once and the loop ends after the callback.
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
        {
            let mut st = self.inner.net.lock();
            st.loop_epoch += 1;
            if st.loop_owner == Some(handle.thread().id()) {
                st.loop_owner = None;
            }
        }
        self.inner.net.wake();
        if handle.thread().id() == std::thread::current().id() {
            return Ok(());
        }
        handle
            .join()
            .unwrap_or_else(|_| Err(Error::ConnectionLost("loop thread panicked".into())))
    }
}

/// Clears the loop's registration when the loop ends (a panic included),
/// unless `loop_stop` already handed it to a new loop.
struct LoopOwner<'a>(&'a Client);

impl Drop for LoopOwner<'_> {
    fn drop(&mut self) {
        let shared = &self.0.inner.net;
        let mut st = shared.lock();
        if st.loop_owner == Some(std::thread::current().id()) {
            st.loop_owner = None;
        }
        if st.waiters > 0 {
            shared.changed.notify_all();
        }
    }
}
