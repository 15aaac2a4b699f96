//! The I/O-free client: the engine, the layers and the completions of one
//! client, turning bytes and time in into bytes to write, events for the
//! callbacks and the next deadline. Adapters own the sockets, the threads
//! and the clock; everything they would otherwise each decide is here.

use crate::callbacks::{Callbacks, ConnectInfo};
use crate::error::Error;
use crate::event::ClientEvent;
use crate::handle::{Completion, Completions, Settled};
use crate::layers::LayerSetup;
use crate::link::{Closing, Link};
use crate::mid::Mid;
use crate::options::{ClientOptions, UserData};
use crate::packet_log::{PacketLog, PACKET_TARGET};
use crate::reconnect::Reconnect;
use crate::store::{SharedStore, StoreChoice};
use bytes::Bytes;
use core::time::Duration;
use mqtt_proto::{
    AuthProperties, Disconnect, DisconnectProperties, PacketId, QoS, ReasonCode,
    SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};
use mqtt_session::{
    AckToken, Disconnection, Event, MessageId, OutboundMessage, Session, SessionState, WallClock,
};
use persist::Persistence;
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Instant;

/// How long a connection the engine ended may take to write its last bytes
/// (a DISCONNECT) before the transport is closed anyway.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The outcome of one connection attempt, for a `connect` that waits on it.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// The attempt's number ([`ClientCore::transport_opened`] and
    /// [`ClientCore::open_failed`] return it).
    pub attempt: u64,
    /// CONNACK accepted it, or why not.
    pub result: Result<ConnectInfo, Error>,
    /// How many events had been queued for the callbacks when it was
    /// decided: once that many were dispatched, on_connect has run.
    pub events_before: u64,
}

/// One client's engine, layers, completions and connection policy, with no
/// socket, thread or clock.
///
/// The drive contract, as `mqtt-session`'s with transports added:
///
/// - the adapter opens a transport when [`ClientCore::wants_open`] says so
///   (or the application connects) and reports it with
///   [`ClientCore::transport_opened`], or [`ClientCore::open_failed`];
/// - it hands every read to [`ClientCore::handle_read`] (the end of the
///   stream to [`ClientCore::handle_read_eof`], a failure to
///   [`ClientCore::handle_transport_error`]) and calls
///   [`ClientCore::handle_timeout`] at [`ClientCore::poll_timeout`];
/// - after every call it writes what [`ClientCore::take_transmit`] gives,
///   in order, reporting each write with [`ClientCore::transmitted`]; when
///   [`ClientCore::closing`] says so it closes the transport (after those
///   writes, or at once) and reports [`ClientCore::transport_closed`];
/// - it delivers [`ClientCore::take_settled`] (message handles) and runs
///   the callbacks for [`ClientCore::poll_event`], with no lock held.
pub struct ClientCore {
    session: Session,
    layers: Option<Box<LayerSetup>>,
    /// `host:port`, for errors and logs.
    endpoint: Box<str>,
    link: Option<Box<Link>>,
    reconnect: Reconnect,
    completions: Completions,
    settled: Vec<Settled>,
    events: VecDeque<ClientEvent>,
    /// Events ever queued for the callbacks.
    events_queued: u64,
    attempts: u64,
    /// Boxed: a client of many on one thread should not carry a CONNACK's
    /// properties inline.
    outcome: Option<Box<AttemptOutcome>>,
    /// Whether completions of outbound messages reach the callbacks (an
    /// on_publish is set); otherwise they only settle handles.
    report_published: bool,
    /// Whether attempt outcomes are kept for a `connect` that waits.
    record_outcomes: bool,
    /// How packets are logged; and whether on_log is set, which makes the
    /// engine trace packets even with no logger listening.
    packet_log: PacketLog,
    log_listener: bool,
    /// The mid the next subscribe / unsubscribe gets, and the requests
    /// waiting for their answer by packet identifier (a few at most).
    next_request_mid: u64,
    requests: Vec<(PacketId, Mid)>,
    /// Paho's `userdata`.
    user_data: Option<UserData>,
    /// The session store, when the session is kept in one.
    persist: Option<Box<Persistence>>,
}

impl std::fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("endpoint", &self.endpoint)
            .field("connected", &self.session.is_connected())
            .field("transport", &self.link.is_some())
            .field("wanted", &self.reconnect.wanted)
            .finish_non_exhaustive()
    }
}

impl ClientCore {
    /// A core for `options`, with a fresh session or one restored from
    /// `state`. Reads the TLS files now, so that their errors come here.
    ///
    /// With a session store ([`ClientOptions::session_dir`]) the session is
    /// loaded from it (`state` must then be `None`), and a store that
    /// cannot be opened or read is an error here.
    pub fn new(options: &ClientOptions, state: Option<SessionState>) -> Result<Self, Error> {
        Self::build(options, state, None)
    }

    /// A core for `options` to take the place of `previous` (a client
    /// reinitialised). When both keep the session of one client id in the
    /// same store (the same directory, or the same custom store), the new
    /// core loads it through the store `previous` has open: a file store
    /// is locked while open, and a second opening would be refused as in
    /// use. The session then continues, and the handles of `previous`'s
    /// unfinished messages move to the new core, which completes them.
    /// Otherwise this is [`ClientCore::new`]. On error `previous` is
    /// unchanged.
    pub fn replacing(options: &ClientOptions, previous: &mut ClientCore) -> Result<Self, Error> {
        let shared = previous.persist.as_ref().and_then(|p| {
            let same_id = options.client_id_value() == p.client_id;
            let same_store = match options.store_value() {
                StoreChoice::Dir(dir) => p.dir.as_deref().is_some_and(|d| same_dir(d, dir)),
                StoreChoice::Custom(store) => Arc::ptr_eq(store, p.store()),
                StoreChoice::None => false,
            };
            (same_id && same_store).then(|| p.store().clone())
        });
        let continued = shared.is_some();
        // What the old core appended is made durable before the new one
        // writes anything (and before another session replaces it).
        if let Some(persist) = previous.persist.as_mut() {
            persist.sync()?;
        }
        let mut core = Self::build(options, None, shared)?;
        if continued {
            let state = core.session.state();
            let ids: Vec<MessageId> = state
                .inflight
                .iter()
                .map(|m| m.id)
                .chain(state.queue.iter().map(|m| m.id))
                .collect();
            for id in ids {
                if let Some(completion) = previous.completions.take(id) {
                    core.completions.track(id, completion);
                }
            }
        }
        Ok(core)
    }

    /// [`ClientCore::new`], with the store already open if `open_store`.
    fn build(
        options: &ClientOptions,
        state: Option<SessionState>,
        open_store: Option<SharedStore>,
    ) -> Result<Self, Error> {
        let mut config = options.session_config()?;
        // Everything that can fail before the store is touched: loading
        // may rebind a store shared with a core this one replaces.
        let layers = options.layer_setup()?.map(Box::new);
        let take_over = open_store.is_some();
        let store = match open_store {
            Some(store) => Some(store),
            None => options.store_value().open()?,
        };
        let (persist, session) = match store {
            None => (
                None,
                match state {
                    Some(state) => Session::with_state(config, state),
                    None => Session::new(config),
                },
            ),
            Some(_) if state.is_some() => {
                return Err(Error::InvalidArgument(
                    "a session state and a session store both given: the store holds the session",
                ))
            }
            Some(_) if options.client_id_value().is_empty() => {
                return Err(Error::InvalidArgument(
                    "a session store needs a client id: a generated one would name a new \
                     session on every run",
                ))
            }
            Some(store) => {
                config.durable = true;
                let client_id = config.connect.client_id.to_string();
                let (mut persist, stored) = Persistence::load(store, &client_id, take_over)?;
                if let StoreChoice::Dir(dir) = options.store_value() {
                    persist.dir = Some(dir.clone());
                }
                let session = match stored {
                    Some(stored) => {
                        Session::from_stored(config, &stored, WallClock::system(Instant::now()))?
                    }
                    None => Session::new(config),
                };
                (Some(Box::new(persist)), session)
            }
        };
        let (min, max) = options.reconnect_delays();
        let packet_log = PacketLog::new(options.packet_log_style_value(), options.protocol_value())
            .payloads(options.log_payloads_value());
        Ok(Self {
            session,
            layers,
            endpoint: options.endpoint().into(),
            link: None,
            reconnect: Reconnect::new(min, max, options.retry_first_connection_value()),
            completions: Completions::default(),
            settled: Vec::new(),
            events: VecDeque::new(),
            events_queued: 0,
            attempts: 0,
            outcome: None,
            report_published: false,
            record_outcomes: true,
            packet_log,
            log_listener: false,
            next_request_mid: 0,
            requests: Vec::new(),
            user_data: options.user_data_value(),
            persist,
        })
    }

    // ---- getters ----

    /// Packets received from the broker so far: before and after a read,
    /// how many it brought, for [`ClientCore::streaming`].
    pub fn packets_received(&self) -> u64 {
        self.session.packets_received()
    }

    /// Whether the broker streams to this client, given how many packets
    /// the last read brought (0 for none): four or more at once, or 32 or
    /// more of its messages in flight, whose acknowledgements come as a
    /// stream. A request and its answers bring up to three at once (a
    /// QoS 2 message to the client's own subscription: PUBCOMP, PUBLISH,
    /// PUBREL), so they never count. While it holds, the adapters let
    /// input gather for the batch window
    /// ([`ClientOptions::batch_window`]) before they read again.
    pub fn streaming(&self, packets_in_last_read: u64) -> bool {
        const PACKETS: u64 = 4;
        const IN_FLIGHT: usize = 32;
        packets_in_last_read >= PACKETS || self.session.state().inflight.len() >= IN_FLIGHT
    }

    /// The engine.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// `host:port` of the broker.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether a CONNACK accepted the current connection.
    pub fn is_connected(&self) -> bool {
        self.session.is_connected()
    }

    /// Whether a transport is open (or being closed).
    pub fn has_transport(&self) -> bool {
        self.link.is_some()
    }

    /// Whether a CONNACK ever accepted a connection of this client.
    pub fn ever_connected(&self) -> bool {
        self.reconnect.ever_connected
    }

    /// Whether a connection is wanted (connect was called, disconnect was not).
    pub fn is_wanted(&self) -> bool {
        self.reconnect.wanted
    }

    /// The client identifier in use (configured, or assigned by the broker).
    pub fn client_id(&self) -> String {
        self.session
            .state()
            .assigned_client_id
            .as_ref()
            .unwrap_or(&self.session.config().connect.client_id)
            .to_string()
    }

    /// A topic filter checked by the rules of this client's protocol version
    /// (the shared-subscription rules are 5.0's).
    pub fn topic_filter(&self, filter: &str) -> Result<TopicFilter, Error> {
        Ok(TopicFilter::with_version(
            filter,
            self.session.config().version(),
        )?)
    }

    /// The packet identifier message `id` is in flight with.
    pub fn packet_id_of(&self, id: MessageId) -> Option<PacketId> {
        self.session.packet_id_of(id)
    }

    /// A copy of the session state, to resume it later or elsewhere.
    pub fn session_snapshot(&self) -> SessionState {
        self.session.snapshot()
    }

    /// The latest connection attempt's outcome, once decided.
    pub fn outcome(&self) -> Option<&AttemptOutcome> {
        self.outcome.as_deref()
    }

    /// The number of the latest connection attempt (0 before any).
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Events ever queued for the callbacks.
    pub fn events_queued(&self) -> u64 {
        self.events_queued
    }

    /// The user data (Paho's `userdata`), if set.
    pub fn user_data(&self) -> Option<UserData> {
        self.user_data.clone()
    }

    // ---- settings ----

    /// Whether completions of outbound messages are queued for the
    /// callbacks (set it when on_publish is set or removed); handles are
    /// settled either way.
    pub fn report_published(&mut self, report: bool) {
        self.report_published = report;
    }

    /// Follows the callbacks an adapter has just set: completions reach
    /// the callbacks only when on_publish is set, and packets are traced
    /// for on_log when it is set.
    pub fn callbacks_set<C>(&mut self, callbacks: &Callbacks<C>) {
        self.report_published = callbacks.on_publish.is_some();
        self.log_listener = callbacks.on_log.is_some();
        self.refresh_packet_trace();
    }

    /// Traces packets (one log line each) while someone listens: on_log is
    /// set, or the `log` crate is enabled at debug for
    /// [`crate::packet_log::PACKET_TARGET`]. Checked at every connection
    /// and when callbacks change; call it after installing a logger to
    /// see the current connection's packets at once.
    pub fn refresh_packet_trace(&mut self) {
        let on = self.log_listener || log::log_enabled!(target: PACKET_TARGET, log::Level::Debug);
        self.session.set_trace_packets(on);
    }

    /// Sets the user data (Paho's `user_data_set`); `None` clears it.
    pub fn set_user_data(&mut self, data: Option<UserData>) {
        self.user_data = data;
    }

    /// Whether the outcome of each connection attempt is kept for a
    /// `connect` that waits on it ([`ClientCore::outcome`]); on by
    /// default. An event-loop adapter, whose `connect` returns at once,
    /// turns it off and keeps no CONNACK per client.
    pub fn record_outcomes(&mut self, record: bool) {
        self.record_outcomes = record;
        if !record {
            self.outcome = None;
        }
    }

    /// Whether a failure to open the very first connection is retried
    /// (Paho's `retry_first_connection`).
    pub fn retry_first_connection(&mut self, retry: bool) {
        self.reconnect.retry_first = retry;
    }

    // ---- connection lifecycle ----

    /// The application wants a connection now (`connect_async`): the
    /// adapter opens one when [`ClientCore::wants_open`] says so.
    pub fn request_connection(&mut self, now: Instant) {
        self.reconnect.request(now);
    }

    /// The application opens a transport itself now (a blocking
    /// `connect`): a connection is wanted, and no other should be opened
    /// meanwhile.
    pub fn begin_connect(&mut self) {
        self.reconnect.wanted = true;
        self.reconnect.at = None;
    }

    /// Whether the adapter should open a transport now: one is wanted, none
    /// is open, and the reconnect delay has passed.
    pub fn wants_open(&self, now: Instant) -> bool {
        self.link.is_none() && self.reconnect.due(now)
    }

    /// A transport to the broker is open: builds its layers and queues
    /// CONNECT (after the layers' handshakes). Returns the attempt number.
    pub fn transport_opened(&mut self, now: Instant) -> Result<u64, Error> {
        if self.link.is_some() {
            return Err(Error::Session(mqtt_session::Error::AlreadyConnected));
        }
        self.reconnect.wanted = true;
        self.reconnect.at = None;
        self.attempts += 1;
        let stack = match &self.layers {
            Some(setup) => Some(
                setup
                    .stack()
                    .map_err(|e| Error::from(e).at(&self.endpoint))?,
            ),
            None => None,
        };
        self.refresh_packet_trace();
        self.lifecycle(log::Level::Info, format!("connecting to {}", self.endpoint));
        self.session.connect(now)?;
        self.link = Some(Box::new(Link::new(stack)));
        self.absorb(now);
        Ok(self.attempts)
    }

    /// A transport could not be opened: the next try is scheduled (or, for
    /// a loop's attempt at the very first connection without
    /// [`ClientCore::retry_first_connection`], the wish dropped), and
    /// on_connect_fail hears of it if `report` (a loop's attempt; a
    /// blocking `connect` returns the error instead, as Paho's does).
    /// Returns the attempt number.
    pub fn open_failed(&mut self, now: Instant, error: Error, report: bool) -> u64 {
        self.attempts += 1;
        // `retry_first_connection` is about a loop's first attempt, as in
        // Paho: a blocking `connect` returns its error, and the wish stays
        // for a loop started afterwards.
        self.reconnect.lost(now, report);
        if report {
            self.decide(Err(error.clone()), self.events_queued + 1);
            self.push(ClientEvent::ConnectFailed(error));
        } else {
            self.decide(Err(error), self.events_queued);
        }
        self.attempts
    }

    /// Bytes read from the transport.
    pub fn handle_read(&mut self, now: Instant, wire: &[u8]) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if link.close_now {
            return;
        }
        let fed = link.read_wire(wire, |plain| self.session.handle_input(now, plain));
        if let Err(e) = fed {
            // A TLS alert or a broken WebSocket: the layer may still have
            // its own last words (an alert, a close frame) to send.
            let e = Error::from(e).at(&self.endpoint);
            self.fail(now, e, false);
        }
        self.absorb(now);
    }

    /// The transport's read side ended (the broker closed).
    pub fn handle_read_eof(&mut self, now: Instant) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let end = link.read_eof(|plain| self.session.handle_input(now, plain));
        let error = match end {
            Err(e) => Error::from(e).at(&self.endpoint),
            Ok(()) => Error::ConnectionLost(format!("{} closed the connection", self.endpoint)),
        };
        self.fail(now, error, true);
        self.absorb(now);
    }

    /// Reading or writing the transport failed.
    pub fn handle_transport_error(&mut self, now: Instant, error: io::Error) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        // A reset during a handshake is an end of stream the layer can
        // explain (not a TLS listener, an unknown subprotocol ...).
        let explained = if link.handshaking_layer().is_some() {
            link.read_eof(|_| {})
                .err()
                .map(|e| Error::from(e).at(&self.endpoint))
        } else {
            None
        };
        let error = explained.unwrap_or_else(|| Error::io_at(&self.endpoint, error));
        self.fail(now, error, true);
        self.absorb(now);
    }

    /// Runs the timers: keep alive, CONNACK and PINGRESP timeouts, expiry
    /// of queued messages, the grace of a closing transport.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.session.poll_timeout().is_some_and(|d| d <= now) {
            self.session.handle_timeout(now);
        }
        if let Some(link) = self.link.as_mut() {
            if link.closing.is_some_and(|d| d <= now) {
                link.close_now = true;
            }
        }
        self.absorb(now);
    }

    /// When [`ClientCore::handle_timeout`] must run next, or a transport be
    /// opened ([`ClientCore::wants_open`]).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let reconnect = if self.link.is_none() {
            self.reconnect.at.filter(|_| self.reconnect.wanted)
        } else {
            None
        };
        let closing = self.link.as_ref().and_then(|l| l.closing);
        [self.session.poll_timeout(), reconnect, closing]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether [`ClientCore::take_transmit`] would give bytes.
    pub fn has_transmit(&self) -> bool {
        if self.persist.as_ref().is_some_and(|p| p.holds_bytes()) {
            return false;
        }
        self.link
            .as_ref()
            .is_some_and(|l| !l.close_now && (self.session.has_transmit() || l.layers_want_write()))
    }

    /// The bytes to write to the transport next, in order. Write them
    /// before anything taken later, and report each write to
    /// [`ClientCore::transmitted`].
    pub fn take_transmit(&mut self, now: Instant) -> Option<Bytes> {
        if self.link.as_ref().is_none_or(|l| l.close_now) {
            return None;
        }
        if let Some(persist) = self.persist.as_mut() {
            // What the broker hears of is durable first: one sync for all
            // that was appended since the last bytes left (group commit).
            if persist.holds_bytes() {
                return None;
            }
            if let Err(e) = persist.sync() {
                self.store_failed(now, e);
                // The engine's Disconnected: on_disconnect, and the reconnect.
                self.absorb(now);
                return None;
            }
        }
        let link = self.link.as_mut()?;
        match link.take(self.session.poll_transmit()) {
            Ok(bytes) => bytes,
            Err(e) => {
                let e = Error::from(e).at(&self.endpoint);
                self.fail(now, e, false);
                self.absorb(now);
                None
            }
        }
    }

    /// `n` bytes taken from [`ClientCore::take_transmit`] were written:
    /// QoS 0 messages whose bytes all left are now published.
    pub fn transmitted(&mut self, n: usize) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let mut done = Vec::new();
        link.written(n, &mut done);
        for e in done {
            self.completed(e);
        }
    }

    /// What the adapter must do about the transport now.
    pub fn closing(&self) -> Closing {
        match &self.link {
            None => Closing::No,
            Some(l) if l.close_now => Closing::Now,
            Some(l) if l.closing.is_some() && !self.has_transmit() => Closing::AfterWrites,
            Some(_) => Closing::No,
        }
    }

    /// The adapter closed the transport. If the engine did not end the
    /// connection first, this is a transport failure to it.
    pub fn transport_closed(&mut self, now: Instant) {
        if self.link.is_none() {
            return;
        }
        if self.session.has_connection() {
            self.session.handle_transport_closed(now);
            self.absorb(now);
        }
        if let Some(link) = self.link.take() {
            for e in link.into_unfinished() {
                self.completed(e);
            }
        }
    }

    /// Ends the connection with DISCONNECT (5.0: a reason code and
    /// properties); no reconnect follows. Without a connection it only
    /// stops the reconnecting.
    pub fn disconnect(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), Error> {
        self.reconnect.cancel();
        if self.session.has_connection() {
            self.session.disconnect(
                now,
                Disconnect {
                    reason,
                    properties: properties.into(),
                },
            )?;
        }
        self.absorb(now);
        Ok(())
    }

    // ---- commands ----

    /// Accepts a message for publication; its handle completes through
    /// `completion` (made by the caller, so that an adapter allocates it
    /// before taking its lock).
    pub fn publish(
        &mut self,
        now: Instant,
        message: OutboundMessage,
        completion: Arc<Completion>,
    ) -> Result<MessageId, Error> {
        let id = self.session.publish(now, message)?;
        if let Some(persist) = self.persist.as_mut() {
            // Stored before the handle is handed out: a publish the store
            // cannot keep fails, and nothing of it is sent.
            if let Err(e) = persist.take(&mut self.session, now, true) {
                let _ = self.session.withdraw(id);
                return Err(e.into());
            }
            self.session.send_queued(now);
        }
        self.completions.track(id, completion);
        self.absorb(now);
        Ok(id)
    }

    /// Sends SUBSCRIBE; the SUBACK reaches on_subscribe with the mid
    /// returned here (which carries the packet identifier).
    pub fn subscribe(
        &mut self,
        now: Instant,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<Mid, Error> {
        let id = self.session.subscribe(now, subscriptions, properties)?;
        let mid = self.request_sent(id);
        self.absorb(now);
        Ok(mid)
    }

    /// Sends UNSUBSCRIBE; the UNSUBACK reaches on_unsubscribe with the mid
    /// returned here.
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<Mid, Error> {
        let id = self.session.unsubscribe(now, filters, properties)?;
        let mid = self.request_sent(id);
        self.absorb(now);
        Ok(mid)
    }

    /// Acknowledges a message received in manual-ack mode.
    pub fn ack(&mut self, now: Instant, token: AckToken) -> Result<(), Error> {
        self.session.ack(now, token)?;
        if let Some(persist) = self.persist.as_mut() {
            // The application acknowledged the message after handling it:
            // its identifier is stored now, not after some callback.
            if let Err(e) = persist.take(&mut self.session, now, false) {
                self.store_failed(now, e);
            }
        }
        self.absorb(now);
        Ok(())
    }

    /// Continues an AUTH exchange or starts a re-authentication (5.0).
    pub fn auth(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        properties: AuthProperties,
    ) -> Result<(), Error> {
        self.session.auth(now, reason, properties)?;
        self.absorb(now);
        Ok(())
    }

    // ---- output for the callbacks ----

    /// The next event for the callbacks.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The callback for a message event ([`ClientEvent::held_message`])
    /// returned: with a session store, the message now counts as received,
    /// and its acknowledgement may go out. Adapters call it after each
    /// such callback (a kill in between brings the message again: at most
    /// this one).
    pub fn message_handled(&mut self, now: Instant, packet_id: PacketId) {
        if let Some(persist) = self.persist.as_mut() {
            if let Err(e) = persist.returned(packet_id) {
                self.store_failed(now, e);
                self.absorb(now);
            }
        }
    }

    /// Whether events wait for the callbacks.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Completions of message handles decided since the last call: deliver
    /// them once no lock is held.
    pub fn take_settled(&mut self) -> Vec<Settled> {
        std::mem::take(&mut self.settled)
    }

    /// Whether completions wait for [`ClientCore::take_settled`].
    pub fn has_settled(&self) -> bool {
        !self.settled.is_empty()
    }

    /// Ends this core for good (a client reinitialised with a fresh one):
    /// the handles of its unfinished messages, settled and still waiting,
    /// to deliver. Those not done fail with `PublishFailure::SessionLost`:
    /// the session they belonged to is discarded.
    pub fn into_abandoned(mut self) -> Vec<Settled> {
        let mut all = std::mem::take(&mut self.settled);
        all.extend(
            self.completions
                .abandon_all(mqtt_session::PublishFailure::SessionLost),
        );
        all
    }

    /// Frees the buffers an idle client holds (for adapters keeping many
    /// mostly idle clients). Nothing observable changes.
    pub fn release_idle_buffers(&mut self) {
        self.session.release_idle_buffers();
        if let Some(link) = self.link.as_mut() {
            link.release_idle_buffers();
        }
        self.completions.shrink();
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        if self.settled.is_empty() {
            self.settled = Vec::new();
        }
        if self.requests.is_empty() {
            self.requests = Vec::new();
        }
    }

    // ---- internals ----

    fn push(&mut self, event: ClientEvent) {
        self.events_queued += 1;
        self.events.push_back(event);
    }

    /// A line about the connection's lifecycle, if someone listens.
    fn lifecycle(&mut self, level: log::Level, message: String) {
        if self.log_listener || log::log_enabled!(target: "mqtt_client", level) {
            self.push(ClientEvent::Log {
                level,
                target: "mqtt_client",
                message,
            });
        }
    }

    /// A subscribe or unsubscribe went out as `packet_id`: its mid.
    fn request_sent(&mut self, packet_id: PacketId) -> Mid {
        self.next_request_mid += 1;
        let mid = Mid::new(self.next_request_mid, Some(packet_id));
        self.requests.push((packet_id, mid));
        mid
    }

    /// The mid of the request answered (or abandoned) as `packet_id`.
    fn request_done(&mut self, packet_id: PacketId) -> Mid {
        match self.requests.iter().position(|(p, _)| *p == packet_id) {
            Some(i) => self.requests.swap_remove(i).1,
            // Not ours (a session restored with requests in flight): the
            // packet identifier is all there is to name it by.
            None => Mid::new(0, Some(packet_id)),
        }
    }

    /// The log lines of a traced packet.
    fn trace(&mut self, sent: bool, packet: &mqtt_proto::Packet, client_id: &mut Option<String>) {
        let id = client_id.get_or_insert_with(|| self.client_id());
        for message in self.packet_log.lines(packet, sent, id) {
            self.push(ClientEvent::Log {
                level: log::Level::Debug,
                target: PACKET_TARGET,
                message,
            });
        }
    }

    /// Decides the latest attempt; `events_before` counts the events up
    /// to the one that reports it to the callbacks.
    fn decide(&mut self, result: Result<ConnectInfo, Error>, events_before: u64) {
        if !self.record_outcomes {
            return;
        }
        self.outcome = Some(Box::new(AttemptOutcome {
            attempt: self.attempts,
            result,
            events_before,
        }));
    }

    /// The transport failed with `error`: the engine hears of it, and the
    /// attempt, if still undecided, fails with it. `at_once`: close at once
    /// (the socket is unusable), or after the layers' last words (an
    /// alert, a close frame) are written.
    fn fail(&mut self, now: Instant, error: Error, at_once: bool) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if at_once {
            link.close_now = true;
        } else {
            link.closing.get_or_insert(now + CLOSE_GRACE);
        }
        if !link.accepted && self.outcome_pending() {
            self.decide(Err(error.clone()), self.events_queued);
        }
        if self.session.has_connection() {
            self.lifecycle(log::Level::Info, format!("connection ended: {error}"));
            self.session.handle_transport_closed(now);
        }
    }

    /// The store could not keep what the engine reported: nothing more may
    /// go to the broker on this connection. It ends, saying why; the
    /// session stays in memory, and the next connection tries again.
    fn store_failed(&mut self, now: Instant, error: crate::store::StoreError) {
        let error = Error::from(error);
        self.lifecycle(log::Level::Error, format!("{error}"));
        if let Some(link) = self.link.as_mut() {
            link.close_now = true;
        }
        self.fail(now, error, true);
    }

    /// Whether the latest attempt's outcome is still undecided.
    fn outcome_pending(&self) -> bool {
        self.outcome
            .as_ref()
            .is_none_or(|o| o.attempt != self.attempts)
    }

    /// An outbound message is done: its handle settles, and on_publish
    /// hears of it if set.
    fn completed(&mut self, event: Event) {
        self.settled.extend(self.completions.settle(&event));
        if self.report_published {
            self.push(ClientEvent::Engine(event));
        }
    }

    /// Takes the engine's events: QoS 0 completions wait for their bytes,
    /// handles settle, the connection policy follows what happened, and
    /// the rest waits for the callbacks.
    fn absorb(&mut self, now: Instant) {
        if let Some(persist) = self.persist.as_mut() {
            if let Err(e) = persist.take(&mut self.session, now, true) {
                self.store_failed(now, e);
            }
        }
        let mut client_id = None;
        while let Some(event) = self.session.poll_event() {
            match &event {
                Event::PacketTrace { sent, packet } => {
                    self.trace(*sent, packet, &mut client_id);
                    continue;
                }
                Event::Subscribed { packet_id, .. }
                | Event::Unsubscribed { packet_id, .. }
                | Event::RequestAborted { packet_id } => {
                    let mid = self.request_done(*packet_id);
                    self.push(ClientEvent::Request { mid, event });
                    continue;
                }
                Event::Published {
                    qos: QoS::AtMostOnce,
                    ..
                } => {
                    if let Some(link) = self.link.as_mut() {
                        link.qos0_sent(self.session.transmit_len(), event);
                    } else {
                        self.completed(event);
                    }
                    continue;
                }
                Event::Published { .. } | Event::PublishFailed { .. } => {
                    self.completed(event);
                    continue;
                }
                Event::Connected {
                    session_present,
                    properties,
                } => {
                    self.reconnect.connected();
                    if let Some(link) = self.link.as_mut() {
                        link.accepted = true;
                    }
                    let info = ConnectInfo {
                        session_present: *session_present,
                        reason: ReasonCode::Success,
                        properties: (**properties).clone(),
                    };
                    // Reported to the callbacks by this very event.
                    self.decide(Ok(info), self.events_queued + 1);
                }
                Event::Disconnected(why) => self.disconnected(now, why),
                Event::Message(m) => {
                    if let (Some(persist), Some(packet_id)) =
                        (self.persist.as_mut(), m.publish.packet_id())
                    {
                        persist.received(packet_id);
                    }
                }
                _ => {}
            }
            self.push(ClientEvent::Engine(event));
        }
    }

    /// The engine ended the connection: the transport closes once the
    /// engine's last bytes are written, the attempt is decided if it was
    /// not, and a reconnect is scheduled unless the application ended it.
    fn disconnected(&mut self, now: Instant, why: &Disconnection) {
        let accepted = match self.link.as_mut() {
            Some(link) => {
                link.closing.get_or_insert(now + CLOSE_GRACE);
                link.accepted
            }
            None => true,
        };
        if !accepted && self.outcome_pending() {
            let error = match why {
                Disconnection::Refused { reason, properties } => Error::Refused {
                    reason: *reason,
                    properties: properties.clone(),
                },
                Disconnection::ConnectTimeout => {
                    let what = self
                        .link
                        .as_ref()
                        .and_then(|l| l.handshaking_layer())
                        .map_or("no CONNACK".to_string(), |layer| {
                            format!("{layer} handshake timed out")
                        });
                    Error::io_at(
                        &self.endpoint,
                        io::Error::new(io::ErrorKind::TimedOut, what),
                    )
                }
                Disconnection::SessionStateUnknown => Error::UnknownSession,
                other => Error::ConnectionLost(format!("{}: {other:?}", self.endpoint)),
            };
            // Reported by the Disconnected event that follows.
            self.decide(Err(error), self.events_queued + 1);
        }
        match why {
            Disconnection::Local { .. } => {}
            // The broker would answer the same again: trying is pointless
            // until the application changes something.
            Disconnection::SessionStateUnknown => self.reconnect.cancel(),
            _ => self.reconnect.lost(now, false),
        }
    }
}

/// Whether two paths name one directory.
fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

mod persist;
#[cfg(test)]
mod tests;
