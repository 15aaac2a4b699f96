//! The client handle and its commands.

use crate::backoff::Backoff;
use crate::callbacks::{Callbacks, ConnectInfo};
use crate::error::Error;
use crate::handle::{Completions, MessageHandle, PacketIdLookup};
use crate::options::ClientOptions;
use crate::reader::Reading;
use crate::transport::{Connector, Link};
use bytes::Bytes;
use mqtt_proto::ConnAckProperties;
use mqtt_proto::{
    AuthProperties, Disconnect, DisconnectProperties, PacketId, QoS, ReasonCode,
    SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};
use mqtt_session::{AckToken, Event, MessageId, OutboundMessage, Session, SessionState};
use std::io::Write;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, TryLockError, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// What other threads tell the network loop.
pub(crate) enum LoopMsg {
    /// Events are waiting to be dispatched.
    Wake,
    /// `loop_stop` was called.
    Stop,
}

/// The engine and the state of the current connection, behind one lock.
pub(crate) struct Core {
    pub session: Session,
    /// Counts connections; input from an older one is ignored.
    pub epoch: u64,
    pub shutdown: Option<Box<dyn Fn() + Send + Sync>>,
    /// `connect` or `connect_async` was called and `disconnect` was not.
    pub wanted: bool,
    /// When the loop should try to connect again.
    pub reconnect_at: Option<Instant>,
    pub backoff: Backoff,
    /// The outcome of the latest CONNACK, for `connect` waiting on it.
    pub connack: Option<Result<ConnectInfo, Error>>,
    pub completions: Completions,
    /// Whether any connection was ever accepted (for retry_first_connection).
    pub ever_connected: bool,
    /// Events taken from the engine for the loop to dispatch.
    pub pending: Vec<Event>,
    /// Threads in `connect` waiting on `connack_cv` (notified only then:
    /// a notification is a system call).
    pub connack_waiters: usize,
}

/// The transport's write half, tagged with the connection it belongs to.
pub(crate) struct Writer {
    pub epoch: u64,
    pub out: Option<Box<dyn Write + Send>>,
}

pub(crate) struct Inner {
    /// This client, for its reader threads (weak: they must not keep it alive).
    pub self_ref: Weak<Inner>,
    pub options: ClientOptions,
    pub connector: Arc<dyn Connector>,
    pub core: Mutex<Core>,
    pub connack_cv: Condvar,
    /// Signalled when the loop has dispatched the pending events.
    pub drained: Condvar,
    pub writer: Mutex<Writer>,
    pub callbacks: RwLock<Arc<Callbacks<Client>>>,
    pub tx: SyncSender<LoopMsg>,
    pub rx: Mutex<Receiver<LoopMsg>>,
    pub wake_pending: AtomicBool,
    /// A thread found the writer busy and left bytes for it (see `flush`).
    pub flush_wanted: AtomicBool,
    pub stop: AtomicBool,
    /// Set while `loop_start`'s thread runs: reader threads then run the
    /// callbacks for what they read (see [`crate::reader`]).
    pub reader_dispatch: AtomicBool,
    /// Held by the thread running callbacks, so they run one at a time and
    /// in order.
    pub dispatch_turn: Mutex<()>,
    pub background: Mutex<Option<thread::JoinHandle<Result<(), Error>>>>,
}

/// How many wake-ups may wait in the loop's queue.
const LOOP_QUEUE: usize = 256;

/// How many events may wait for the network loop before the reader thread
/// stops reading, which in turn lets TCP push back on the broker.
pub(crate) const PENDING_EVENTS: usize = 8192;

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
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.inner.options)
            .field("connected", &self.is_connected())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking user callback never runs under our locks, so poisoning
    // only means a panic elsewhere; the data is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Inner {
    /// Dropping the last handle closes the transport at once (without
    /// DISCONNECT, so the broker publishes the will), which also ends the
    /// reader thread blocked on it.
    fn drop(&mut self) {
        let core = self.core.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(shutdown) = core.shutdown.take() {
            shutdown();
        }
    }
}

impl PacketIdLookup for Inner {
    fn packet_id_of(&self, id: MessageId) -> Option<PacketId> {
        self.lock_core().session.packet_id_of(id)
    }
}

impl Inner {
    pub fn lock_core(&self) -> MutexGuard<'_, Core> {
        lock(&self.core)
    }

    pub fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            // A full queue will wake the loop anyway.
            if let Err(TrySendError::Disconnected(_)) = self.tx.try_send(LoopMsg::Wake) {
                self.wake_pending.store(false, Ordering::Release);
            }
        }
    }

    /// Writes what the session wants sent, unless another thread is
    /// writing: then that thread writes it too once its write is done, so
    /// no caller waits for another's write and bursts from several threads
    /// leave in fewer system calls. Bytes are taken from the session only
    /// by the writer lock's holder while it holds the session lock, so
    /// they go out in the order the session produced them.
    pub fn flush(&self, core: MutexGuard<'_, Core>) {
        self.flush_with(core, true)
    }

    /// [`Inner::flush`], waking the loop for pending events only if
    /// `wake_for_events` (a write failure always wakes it).
    pub fn flush_with(&self, core: MutexGuard<'_, Core>, wake_for_events: bool) {
        let has_events = core.session.has_events() || !core.pending.is_empty();
        let mut core = Some(core);
        let mut failed = None;
        loop {
            let mut c = core.take().unwrap_or_else(|| self.lock_core());
            if !c.session.has_transmit() {
                break;
            }
            // Ask the writer, if there is one, to look again when done;
            // the fences pair this with its release of the lock.
            self.flush_wanted.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            let mut writer = match self.writer.try_lock() {
                Ok(w) => w,
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => break,
            };
            self.flush_wanted.store(false, Ordering::Relaxed);
            let data = c.session.poll_transmit();
            let epoch = c.epoch;
            drop(c);
            let current = writer.epoch == epoch;
            if let (Some(data), Some(out), true) = (data, writer.out.as_mut(), current) {
                if let Err(e) = out.write_all(&data).and_then(|_| out.flush()) {
                    failed = Some((epoch, e));
                }
            }
            drop(writer);
            if failed.is_some() {
                break;
            }
            fence(Ordering::SeqCst);
            if !self.flush_wanted.load(Ordering::Relaxed) {
                break;
            }
        }
        drop(core);
        if let Some((epoch, e)) = &failed {
            log::warn!("write failed: {e}");
            let mut core = self.lock_core();
            if core.epoch == *epoch {
                core.session.handle_transport_closed(Instant::now());
                if let Some(shutdown) = core.shutdown.take() {
                    shutdown();
                }
            }
        }
        if (has_events && wake_for_events) || failed.is_some() {
            self.wake();
        }
    }

    /// Opens a transport and sends CONNECT on it. Blocking, outside every lock.
    pub fn establish(&self) -> Result<(), Error> {
        let link = self
            .connector
            .connect(self.options.connect_timeout)
            .map_err(Error::from)?;
        let Link {
            reader,
            writer,
            shutdown,
        } = link;
        let mut core = self.lock_core();
        if let Some(old) = core.shutdown.take() {
            old();
        }
        core.epoch += 1;
        let epoch = core.epoch;
        core.connack = None;
        if let Err(e) = core.session.connect(Instant::now()) {
            shutdown();
            return Err(Error::Session(e));
        }
        {
            let mut w = lock(&self.writer);
            w.epoch = epoch;
            w.out = Some(writer);
        }
        core.shutdown = Some(shutdown);
        Reading::new(epoch, reader, self.self_ref.clone())
            .spawn()
            .map_err(Error::from)?;
        self.flush(core);
        Ok(())
    }
}

impl Client {
    /// A client for `options`; nothing is opened until `connect`.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        Self::build(options, None)
    }

    /// A client continuing a session saved with [`Client::session_snapshot`]
    /// (for example by an earlier process): unfinished messages are resent
    /// or republished at the first connection, per the session rules.
    pub fn with_session(options: ClientOptions, state: SessionState) -> Result<Self, Error> {
        Self::build(options, Some(state))
    }

    /// A copy of the session state: unfinished and queued messages, QoS 2
    /// receipts, identifiers. Store it to resume the session later.
    pub fn session_snapshot(&self) -> SessionState {
        self.inner.lock_core().session.snapshot()
    }

    fn build(options: ClientOptions, state: Option<SessionState>) -> Result<Self, Error> {
        let config = options.session_config()?;
        let connector = options.resolved_connector()?;
        let (tx, rx) = mpsc::sync_channel(LOOP_QUEUE);
        let backoff = Backoff::new(options.reconnect_min, options.reconnect_max);
        Ok(Self {
            inner: Arc::new_cyclic(|self_ref| Inner {
                self_ref: self_ref.clone(),
                connector,
                core: Mutex::new(Core {
                    session: match state {
                        Some(state) => Session::with_state(config, state),
                        None => Session::new(config),
                    },
                    epoch: 0,
                    shutdown: None,
                    wanted: false,
                    reconnect_at: None,
                    backoff,
                    connack: None,
                    completions: Completions::default(),
                    ever_connected: false,
                    pending: Vec::new(),
                    connack_waiters: 0,
                }),
                connack_cv: Condvar::new(),
                drained: Condvar::new(),
                writer: Mutex::new(Writer {
                    epoch: 0,
                    out: None,
                }),
                callbacks: RwLock::new(Arc::new(Callbacks::default())),
                tx,
                rx: Mutex::new(rx),
                wake_pending: AtomicBool::new(false),
                flush_wanted: AtomicBool::new(false),
                stop: AtomicBool::new(false),
                reader_dispatch: AtomicBool::new(false),
                dispatch_turn: Mutex::new(()),
                background: Mutex::new(None),
                options,
            }),
        })
    }

    /// A client for a broker URL, `mqtt://user:pass@host:port`, with defaults otherwise.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        Self::new(ClientOptions::from_url(url)?)
    }

    /// The options the client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The client identifier in use (generated, configured, or assigned by the broker).
    pub fn client_id(&self) -> String {
        let core = self.inner.lock_core();
        core.session
            .state()
            .assigned_client_id
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_else(|| core.session.config().connect.client_id.to_string())
    }

    // ---- connecting ----

    /// Opens the connection and waits for the CONNACK (at most the connect
    /// timeout). If no network loop runs, this call drives it until then.
    /// A refused connection is `Err(Error::Refused)`.
    pub fn connect(&self) -> Result<ConnectInfo, Error> {
        {
            let mut core = self.inner.lock_core();
            core.wanted = true;
            core.reconnect_at = None;
        }
        self.inner.establish()?;
        self.await_connack()
    }

    /// Asks the network loop (loop_start or loop_forever) to connect, and
    /// returns at once (Paho's `connect_async`).
    pub fn connect_async(&self) {
        let mut core = self.inner.lock_core();
        core.wanted = true;
        core.reconnect_at = Some(Instant::now());
        drop(core);
        self.inner.wake();
    }

    /// Closes the current connection, if any, and connects again, resuming
    /// the session.
    pub fn reconnect(&self) -> Result<ConnectInfo, Error> {
        let absorbed = {
            let mut core = self.inner.lock_core();
            if let Some(shutdown) = core.shutdown.take() {
                shutdown();
            }
            let now = Instant::now();
            core.session.handle_transport_closed(now);
            // The old connection's end is booked now, before `connect`
            // waits for the new CONNACK: booked later, it would pass for
            // the new connection failing.
            self.inner.absorb(&mut core, now)
        };
        absorbed.finish(&self.inner);
        self.connect()
    }

    fn await_connack(&self) -> Result<ConnectInfo, Error> {
        let deadline = Instant::now() + self.inner.options.connect_timeout;
        loop {
            {
                let mut core = self.inner.lock_core();
                if let Some(result) = core.connack.take() {
                    return result;
                }
                // Events not yet dispatched may hold the broker's answer.
                if core.shutdown.is_none() && !core.session.has_events() {
                    return Err(Error::ConnectionLost("closed before CONNACK".into()));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            // Drive the loop ourselves if nobody else does; else wait for it.
            match self.inner.rx.try_lock() {
                Ok(rx) => {
                    crate::event_loop::drive(self, &rx, left);
                }
                Err(_) => {
                    let mut core = self.inner.lock_core();
                    if core.connack.is_none() {
                        core.connack_waiters += 1;
                        let mut core = self
                            .inner
                            .connack_cv
                            .wait_timeout(core, left.min(Duration::from_millis(50)))
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                        core.connack_waiters -= 1;
                    }
                }
            }
        }
    }

    /// Sends DISCONNECT (Normal disconnection) and closes the connection; the
    /// loops stop reconnecting and loop_forever returns.
    pub fn disconnect(&self) -> Result<(), Error> {
        self.disconnect_with(ReasonCode::Success, DisconnectProperties::default())
    }

    /// DISCONNECT with a reason code and 5.0 properties (for example a new
    /// session expiry interval).
    pub fn disconnect_with(
        &self,
        reason: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), Error> {
        let mut core = self.inner.lock_core();
        core.wanted = false;
        core.reconnect_at = None;
        if !core.session.has_connection() {
            drop(core);
            self.inner.wake();
            return Ok(());
        }
        core.session.disconnect(
            Instant::now(),
            Disconnect {
                reason,
                properties: properties.into(),
            },
        )?;
        self.inner.flush(core);
        let mut core = self.inner.lock_core();
        if let Some(shutdown) = core.shutdown.take() {
            shutdown();
        }
        drop(core);
        self.inner.wake();
        Ok(())
    }

    /// Whether a CONNACK accepted the current connection.
    pub fn is_connected(&self) -> bool {
        self.inner.lock_core().session.is_connected()
    }

    // ---- messages ----

    /// Publishes `payload` to `topic`. Returns at once with a handle; the
    /// message is sent now if the in-flight window allows, else queued (also
    /// while disconnected).
    pub fn publish(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
    ) -> Result<MessageHandle, Error> {
        self.publish_message(OutboundMessage::publish(topic, payload, qos, retain)?)
    }

    /// Publishes a message with 5.0 properties (user properties, response
    /// topic, correlation data, message expiry ...).
    pub fn publish_message(&self, message: OutboundMessage) -> Result<MessageHandle, Error> {
        let mut core = self.inner.lock_core();
        let id = core.session.publish(Instant::now(), message)?;
        let completion = core.completions.track(id);
        self.inner.flush(core);
        Ok(MessageHandle {
            id,
            completion,
            lookup: Some(Arc::downgrade(&self.inner) as std::sync::Weak<dyn PacketIdLookup>),
        })
    }

    /// Subscribes to one filter; the result arrives in on_subscribe.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<PacketId, Error> {
        self.subscribe_many(&[(filter, qos)])
    }

    /// Subscribes to several filters in one SUBSCRIBE.
    pub fn subscribe_many(&self, filters: &[(&str, QoS)]) -> Result<PacketId, Error> {
        let subs = filters
            .iter()
            .map(|(f, q)| Ok(Subscription::new(TopicFilter::new(*f)?, *q)))
            .collect::<Result<Vec<_>, Error>>()?;
        self.subscribe_with(subs, SubscribeProperties::default())
    }

    /// Subscribes with 5.0 options (no local, retain as published, retain
    /// handling) and properties (subscription identifier, user properties).
    pub fn subscribe_with(
        &self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<PacketId, Error> {
        let mut core = self.inner.lock_core();
        let id = core
            .session
            .subscribe(Instant::now(), subscriptions, properties)?;
        self.inner.flush(core);
        Ok(id)
    }

    /// Unsubscribes from one filter; the result arrives in on_unsubscribe.
    pub fn unsubscribe(&self, filter: &str) -> Result<PacketId, Error> {
        self.unsubscribe_with(
            vec![TopicFilter::new(filter)?],
            UnsubscribeProperties::default(),
        )
    }

    /// Unsubscribes from several filters, with 5.0 properties.
    pub fn unsubscribe_with(
        &self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<PacketId, Error> {
        let mut core = self.inner.lock_core();
        let id = core
            .session
            .unsubscribe(Instant::now(), filters, properties)?;
        self.inner.flush(core);
        Ok(id)
    }

    /// Acknowledges a message received in manual-ack mode.
    pub fn ack(&self, token: AckToken) -> Result<(), Error> {
        let mut core = self.inner.lock_core();
        core.session.ack(Instant::now(), token)?;
        self.inner.flush(core);
        Ok(())
    }

    /// Continues an enhanced authentication exchange, or starts a re-authentication (5.0).
    pub fn auth(&self, reason: ReasonCode, properties: AuthProperties) -> Result<(), Error> {
        let mut core = self.inner.lock_core();
        core.session.auth(Instant::now(), reason, properties)?;
        self.inner.flush(core);
        Ok(())
    }

    // ---- callbacks ----

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
        *slot = Arc::new(next);
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
}

/// The error `connect` returns for a refused connection.
pub(crate) fn refused(reason: ReasonCode, properties: Box<ConnAckProperties>) -> Error {
    Error::Refused { reason, properties }
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_is_send_and_sync() {
        fn is<T: Send + Sync + Clone>() {}
        is::<super::Client>();
    }
}

crate::callback_setters!(Client);
