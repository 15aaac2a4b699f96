//! The client handle: construction, connecting, and the glue the shared
//! command and callback setters call.

use crate::connector::{Connector, TcpConnector};
use crate::network::{Baton, Io, Shared, State};
use mqtt_client::{
    Callbacks, ClientCore, ClientOptions, ConnectInfo, Error, MessageId, Network, SessionState,
};
use mqtt_proto::PacketId;
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

/// A blocking MQTT client with Paho's calls, callbacks and loops.
///
/// The handle is cheap to clone and `Send + Sync`: publish from any thread
/// or from inside a callback; it never waits for the network loop.
///
/// ```no_run
/// use adapter_std::{Client, ClientOptions};
/// use mqtt_proto::QoS;
///
/// let client = Client::new(ClientOptions::new("localhost", 1883)).unwrap();
/// client.on_connect(|c, _| {
///     c.subscribe("sensors/#", QoS::AtLeastOnce).unwrap();
/// });
/// client.on_message(|_, m| println!("{} {:?}", m.topic(), m.payload_str()));
/// client.connect().unwrap();
/// client.loop_forever().unwrap();
/// ```
///
/// Paho's `userdata`, a refused connection in on_connect, mids, 5.0
/// properties and the packet log:
///
/// ```no_run
/// use adapter_std::{Client, ClientOptions, ProtocolVersion, PublishProperties, QoS};
/// use std::sync::Mutex;
///
/// let options = ClientOptions::new("localhost", 1883)
///     .protocol(ProtocolVersion::V5)
///     .user_data(Mutex::new(Vec::<String>::new())); // Paho: Client(userdata=...)
/// let client = Client::new(options).unwrap();
/// client.on_log(|_, level, line| println!("{level}: {line}")); // "Sending CONNECT ..."
/// client.on_connect(|c, info| {
///     if info.is_failure() {
///         println!("refused: {}", info.reason_code()); // on_disconnect follows
///         return;
///     }
///     let mid = c.subscribe("sensors/#", QoS::AtLeastOnce).unwrap();
///     println!("subscribing, mid {mid}");
/// });
/// client.on_subscribe(|_, mid, granted, _| println!("mid {mid}: {granted:?}"));
/// client.on_message(|c, m| {
///     let seen = c.user_data::<Mutex<Vec<String>>>().unwrap(); // Paho: userdata
///     seen.lock().unwrap().push(m.topic().to_string());
/// });
/// client.connect().unwrap();
/// client.loop_start().unwrap();
/// let properties = PublishProperties::new()
///     .user_property("unit", "celsius")
///     .message_expiry_interval(60);
/// let handle = client
///     .publish_with("sensors/1", "21.5", QoS::AtLeastOnce, false, properties)
///     .unwrap();
/// println!("published mid {}", handle.mid()); // on_publish gets the same mid
/// handle.wait_for_publish(None);
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What the handles of one client share: the network state, the callbacks
/// (replaced copy-on-write), the `loop_start` thread.
pub(crate) struct Inner {
    /// This client, for running callbacks from a message handle's wait.
    self_ref: Weak<Inner>,
    pub net: Shared,
    pub callbacks: RwLock<Arc<Callbacks<Client>>>,
    pub background: Mutex<Option<std::thread::JoinHandle<Result<(), Error>>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.net.lock().core.endpoint())
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl Client {
    /// A client for `options`; nothing is opened until `connect`.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        Self::build(&options, None, None)
    }

    /// A client continuing a session saved with [`Client::session_snapshot`]
    /// (for example by an earlier process): unfinished messages are resent
    /// or republished at the first connection, per the session rules.
    pub fn with_session(options: ClientOptions, state: SessionState) -> Result<Self, Error> {
        Self::build(&options, Some(state), None)
    }

    /// A client whose sockets come from `connector` (a tunnel, a Unix
    /// socket ...); TLS and WebSocket still run above them as the options'
    /// scheme says.
    pub fn with_connector(
        options: ClientOptions,
        connector: Arc<dyn Connector>,
    ) -> Result<Self, Error> {
        Self::build(&options, None, Some(connector))
    }

    fn build(
        options: &ClientOptions,
        state: Option<SessionState>,
        connector: Option<Arc<dyn Connector>>,
    ) -> Result<Self, Error> {
        let core = ClientCore::new(options, state)?;
        let custom_connector = connector.is_some();
        let connector = connector.unwrap_or_else(|| Arc::new(TcpConnector::new(options)));
        let (io, waker) = Io::new().map_err(Error::from)?;
        Ok(Self {
            inner: Arc::new_cyclic(|self_ref| Inner {
                self_ref: self_ref.clone(),
                net: Shared {
                    state: Mutex::new(State {
                        core,
                        baton: Baton::Free,
                        pen: false,
                        write_blocked: false,
                        write_failed: None,
                        opened: None,
                        loop_owner: None,
                        loop_epoch: 0,
                        waiters: 0,
                        dispatched: 0,
                        connector,
                        connect_timeout: options.connect_timeout_value(),
                        batch_window: options.batch_window_value(),
                        custom_connector,
                        retry_first_connection: options.retry_first_connection_value(),
                    }),
                    changed: Condvar::new(),
                    io: Mutex::new(io),
                    out: Mutex::new(Default::default()),
                    waker,
                },
                callbacks: RwLock::new(Arc::new(Callbacks::default())),
                background: Mutex::new(None),
            }),
        })
    }

    /// A client for a broker URL, `mqtt://user:pass@host:port`, with defaults otherwise.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        Self::new(ClientOptions::from_url(url)?)
    }

    // ---- connecting ----

    /// Opens the connection and waits for the CONNACK (at most the connect
    /// timeout). A refused connection is `Err(Error::Refused)`; on_connect
    /// has then run with the failure reason code, and on_disconnect after
    /// it, as in Paho 2.
    ///
    /// When it returns, on_connect has run: on the loop's thread if a loop
    /// runs, else on this one, which drives the network until then. Called
    /// inside a callback it drives the network without running callbacks
    /// (they would nest); on_connect then runs after the current callback.
    pub fn connect(&self) -> Result<ConnectInfo, Error> {
        let (before, connector, timeout) = {
            let mut st = self.inner.net.lock();
            st.core.begin_connect();
            (st.core.attempts(), st.connector.clone(), st.connect_timeout)
        };
        let deadline = Instant::now() + timeout;
        match connector.connect(timeout) {
            Ok(socket) => {
                let mut st = self.inner.net.lock();
                st.opened = Some(socket);
                self.inner.net.after_command(st);
            }
            Err(e) => {
                let mut st = self.inner.net.lock();
                st.core.open_failed(Instant::now(), e.clone(), false);
                self.inner.net.after_command(st);
                return Err(e);
            }
        }
        let decided = |st: &State, nested: bool| {
            st.core
                .outcome()
                .filter(|o| o.attempt > before)
                .is_some_and(|o| nested || st.dispatched >= o.events_before)
        };
        // The CONNACK may come at the deadline's edge; its callbacks run anyway.
        if !self
            .inner
            .net
            .wait_until(decided, Some(deadline), &|events| self.dispatch(events))
        {
            return Err(Error::Timeout);
        }
        let st = self.inner.net.lock();
        match st.core.outcome() {
            Some(o) if o.attempt > before => o.result.clone(),
            _ => Err(Error::Timeout),
        }
    }

    /// Asks the network loop (loop_start or loop_forever) to connect, and
    /// returns at once (Paho's `connect_async`).
    pub fn connect_async(&self) {
        let mut st = self.inner.net.lock();
        st.core.request_connection(Instant::now());
        drop(st);
        self.inner.net.wake();
    }

    /// Closes the current connection, if any, and connects again, resuming
    /// the session.
    pub fn reconnect(&self) -> Result<ConnectInfo, Error> {
        {
            let mut st = self.inner.net.lock();
            if st.core.has_transport() {
                st.core.handle_transport_error(
                    Instant::now(),
                    std::io::Error::other("reconnect asked"),
                );
                self.inner.net.after_command(st);
            }
        }
        self.connect()
    }

    /// How long `connect` waits for the CONNACK, and the loops for a
    /// transport to open.
    pub fn connect_timeout(&self) -> Duration {
        self.inner.net.lock().connect_timeout
    }

    /// Resets the client to a fresh one made from `options` (Paho's
    /// `reinitialise(client_id, clean_session, userdata)`): a new session
    /// (unfinished messages are dropped, their handles fail with
    /// `PublishFailure::SessionLost`; with a session store, see below),
    /// the new client id, clean session,
    /// user data and every other option, no callbacks (Paho's reinitialise
    /// clears them too: set them again). An open connection is closed at
    /// once without DISCONNECT, as Paho drops its socket, so the broker
    /// publishes the will. A connector given to
    /// [`Client::with_connector`] is kept.
    ///
    /// Fails with [`Error::LoopAlreadyRunning`] while `loop_start` or
    /// `loop_forever` runs (stop it first, as Paho requires) or when called
    /// from a callback; the client is then left as it was, as it is when
    /// `options` are invalid.
    ///
    /// With a session store ([`ClientOptions::session_dir`]), the new
    /// client loads what the store holds, as a restarted program would:
    /// on the store the client already uses (the same directory and
    /// client id), its session continues, and the handles of its
    /// unfinished messages complete when they are delivered.
    pub fn reinitialise(&self, options: ClientOptions) -> Result<(), Error> {
        let shared = &self.inner.net;
        if shared.lock().loop_owner.is_some() {
            return Err(Error::LoopAlreadyRunning);
        }
        let Some(baton) = shared.acquire() else {
            return Err(Error::LoopAlreadyRunning);
        };
        if shared.lock().loop_owner.is_some() {
            return Err(Error::LoopAlreadyRunning);
        }
        // Made from the old core, which may hand over the store it holds
        // open (a file store is locked: opened twice, it is in use).
        shared.replace_core(&mut shared.io(), |old| ClientCore::replacing(&options, old))?;
        {
            let mut st = shared.lock();
            if !st.custom_connector {
                st.connector = Arc::new(TcpConnector::new(&options));
            }
            st.connect_timeout = options.connect_timeout_value();
            st.batch_window = options.batch_window_value();
            st.retry_first_connection = options.retry_first_connection_value();
        }
        self.set_callbacks(|c| *c = Callbacks::default());
        drop(baton);
        Ok(())
    }

    // ---- what the shared setters and commands call ----

    /// Callbacks are replaced copy-on-write: dispatch clones one `Arc`, and
    /// a callback may change callbacks while others run.
    pub(crate) fn set_callbacks(&self, f: impl FnOnce(&mut Callbacks<Client>)) {
        let mut slot = self
            .inner
            .callbacks
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let mut next = Callbacks::clone(&slot);
        f(&mut next);
        let next = Arc::new(next);
        *slot = next.clone();
        drop(slot);
        self.inner.net.lock().core.callbacks_set(&next);
    }

    pub(crate) fn callbacks(&self) -> Arc<Callbacks<Client>> {
        self.inner
            .callbacks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn log(&self, level: log::Level, msg: &str) {
        self.callbacks().log(self, level, msg);
    }

    fn command<R>(
        &self,
        f: impl FnOnce(&mut ClientCore, Instant) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut st = self.inner.net.lock();
        let result = f(&mut st.core, Instant::now());
        self.inner.net.after_command(st);
        result
    }

    fn inspect<R>(&self, f: impl FnOnce(&ClientCore) -> R) -> R {
        f(&self.inner.net.lock().core)
    }

    fn network(&self) -> Option<Weak<dyn Network>> {
        let weak: Weak<dyn Network> = Arc::downgrade(&self.inner) as Weak<dyn Network>;
        Some(weak)
    }

    /// Runs the callbacks for `events` on this thread, with no lock held,
    /// and counts them as dispatched (also if a callback panics).
    pub(crate) fn dispatch(&self, events: Vec<mqtt_client::ClientEvent>) {
        if events.is_empty() {
            return;
        }
        let _counted = self.inner.net.dispatching(events.len());
        let callbacks = self.callbacks();
        for e in events {
            // With a session store, a QoS 1/2 message counts as received once
            // its callback returned (or panicked): see mqtt_client::store.
            let _handled = e.held_message().map(|id| Handled(self, id));
            callbacks.dispatch_one(self, e);
        }
    }
}

/// Reports the return of a stored message's callback when dropped, so that
/// a panicking callback does not hold the connection's bytes back.
struct Handled<'a>(&'a Client, PacketId);

impl Drop for Handled<'_> {
    fn drop(&mut self) {
        let id = self.1;
        let _ = self.0.command(|core, now| {
            core.message_handled(now, id);
            Ok(())
        });
    }
}

impl Network for Inner {
    fn packet_id_of(&self, id: MessageId) -> Option<PacketId> {
        self.net.lock().core.packet_id_of(id)
    }

    fn wait_for(&self, completion: &mqtt_client::Completion, timeout: Option<Duration>) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let client = self.self_ref.upgrade().map(|inner| Client { inner });
        let dispatch = |events: Vec<mqtt_client::ClientEvent>| {
            if let Some(client) = &client {
                client.dispatch(events);
            }
        };
        self.net
            .wait_until(|_, _| completion.is_done(), deadline, &dispatch);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_is_send_and_sync() {
        fn is<T: Send + Sync + Clone>() {}
        is::<super::Client>();
    }
}

mqtt_client::callback_setters!(Client);
mqtt_client::client_commands!(Client);
