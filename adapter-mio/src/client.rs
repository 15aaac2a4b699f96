//! One MQTT client over a non-blocking socket, driven by the caller's loop
//! with Paho's external-loop calls.

use adapter_std::layers::{LayeredConnector, Stack, StreamLayer};
use adapter_std::{Backoff, Callbacks, ClientOptions, Completions, Error, MessageHandle, Scheme};
use bytes::{Buf, Bytes, BytesMut};
use mio::net::TcpStream;
use mqtt_proto::{
    AuthProperties, Disconnect, DisconnectProperties, PacketId, QoS, ReasonCode,
    SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};
use mqtt_session::{AckToken, Disconnection, Event, OutboundMessage, Session, SessionState};
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::ToSocketAddrs;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

/// What happened to the socket, for loops that register interest themselves
/// (Paho's on_socket_open / close / register_write / unregister_write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketEvent {
    /// A new socket exists: register it for reading.
    Opened(RawFd),
    /// The socket is closed: forget it.
    Closed(RawFd),
    /// There is data to write: watch for writability.
    WantWrite(RawFd),
    /// Everything is written: stop watching for writability.
    WriteDone(RawFd),
}

type SocketCallback = Arc<dyn Fn(&MqttClient, SocketEvent) + Send + Sync>;

struct State {
    /// Only what opening a socket needs: the whole `ClientOptions` is
    /// 768 bytes, kept by each of possibly thousands of clients.
    host: Box<str>,
    port: u16,
    nodelay: bool,
    session: Session,
    /// How to build the TLS / WebSocket layers of a connection (`None` for plain TCP).
    layers: Option<Box<LayeredConnector>>,
    /// The layers of the current connection: wire bytes in and out of the
    /// socket, MQTT bytes in and out of the engine.
    stack: Option<Box<Stack>>,
    socket: Option<TcpStream>,
    /// The non-blocking connect has not been confirmed yet.
    tcp_pending: bool,
    /// Bytes the engine produced that the socket has not taken yet.
    out: BytesMut,
    write_interest: bool,
    completions: Completions,
    /// `connect` / `connect_async` was called and `disconnect` was not.
    wanted: bool,
    reconnect_at: Option<Instant>,
    backoff: Backoff,
    socket_events: Vec<SocketEvent>,
    /// Bytes ever appended to `out`, and ever written to the socket.
    queued_total: u64,
    written_total: u64,
    /// QoS 0 completions waiting until the socket took their bytes: a QoS 0
    /// message is published when it left the client, not our buffer.
    unwritten_qos0: std::collections::VecDeque<(u64, Event)>,
}

/// How many bytes one `loop_read` takes before returning, so one busy
/// connection cannot starve the others sharing a thread.
pub const DEFAULT_READ_BUDGET: usize = 64 * 1024;

thread_local! {
    // One read buffer per thread, not per client: an idle client holds none.
    static READ_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; DEFAULT_READ_BUDGET]);
}

/// An MQTT client for an external event loop.
///
/// The loop watches [`MqttClient::socket`] for readability (and for
/// writability while [`MqttClient::want_write`] is true) and calls
/// [`MqttClient::loop_read`], [`MqttClient::loop_write`] and, at
/// [`MqttClient::next_deadline`], [`MqttClient::loop_misc`]. Callbacks and
/// commands are those of adapter-std's blocking client; callbacks run inside
/// these calls, on the loop's thread.
///
/// ```no_run
/// use adapter_mio::MqttClient;
/// use adapter_std::ClientOptions;
/// use mqtt_proto::QoS;
/// use mio::{unix::SourceFd, Events, Interest, Poll, Token};
///
/// let client = MqttClient::new(ClientOptions::new("127.0.0.1", 1883)).unwrap();
/// client.on_message(|_, m| println!("{}: {:?}", m.topic(), m.payload_str()));
/// client.on_connect(|c, _| { c.subscribe("a/#", QoS::AtLeastOnce).unwrap(); });
/// client.connect().unwrap();
/// let mut poll = Poll::new().unwrap();
/// let fd = client.socket().unwrap();
/// poll.registry()
///     .register(&mut SourceFd(&fd), Token(0), Interest::READABLE | Interest::WRITABLE)
///     .unwrap();
/// let mut events = Events::with_capacity(16);
/// loop {
///     let timeout = client.next_deadline().map(|d| d.saturating_duration_since(std::time::Instant::now()));
///     poll.poll(&mut events, timeout).unwrap();
///     for e in events.iter() {
///         if e.is_readable() { client.loop_read().unwrap(); }
///         if e.is_writable() { client.loop_write().unwrap(); }
///     }
///     client.loop_misc().unwrap();
/// }
/// ```
pub struct MqttClient {
    state: RefCell<State>,
    callbacks: RefCell<Arc<Callbacks<MqttClient>>>,
    socket_callback: RefCell<Option<SocketCallback>>,
}

impl std::fmt::Debug for MqttClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttClient")
            .field("connected", &self.is_connected())
            .field("socket", &self.socket())
            .finish()
    }
}

impl MqttClient {
    /// A client for `options`; nothing is opened until `connect`.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        Self::build(options, None)
    }

    /// A client continuing a saved session (see adapter-std's `Client::session_snapshot`).
    pub fn with_session(options: ClientOptions, state: SessionState) -> Result<Self, Error> {
        Self::build(options, Some(state))
    }

    fn build(options: ClientOptions, saved: Option<SessionState>) -> Result<Self, Error> {
        let config = options.session_config()?;
        let session = match saved {
            Some(s) => Session::with_state(config, s),
            None => Session::new(config),
        };
        let (min, max) = options.reconnect_delays();
        // The same Sans-IO TLS and WebSocket layers as the blocking client.
        let layers = match options.scheme() {
            Scheme::Mqtt => None,
            _ => Some(Box::new(LayeredConnector::new(&options)?)),
        };
        Ok(Self {
            state: RefCell::new(State {
                host: options.host().into(),
                port: options.port(),
                nodelay: options.nodelay(),
                session,
                layers,
                stack: None,
                socket: None,
                tcp_pending: false,
                out: BytesMut::new(),
                write_interest: false,
                completions: Completions::default(),
                wanted: false,
                reconnect_at: None,
                backoff: Backoff::new(min, max),
                socket_events: Vec::new(),
                queued_total: 0,
                written_total: 0,
                unwritten_qos0: std::collections::VecDeque::new(),
            }),
            callbacks: RefCell::new(Arc::new(Callbacks::default())),
            socket_callback: RefCell::new(None),
        })
    }

    // ---- the external-loop contract ----

    /// The socket to watch, while one is open (register it with
    /// `mio::unix::SourceFd`, `poll(2)`, `select(2)` ...).
    pub fn socket(&self) -> Option<RawFd> {
        self.state.borrow().socket.as_ref().map(|s| s.as_raw_fd())
    }

    /// Whether there are bytes waiting for the socket to become writable
    /// (or a connect in progress, which completes on writability).
    pub fn want_write(&self) -> bool {
        let st = self.state.borrow();
        st.socket.is_some() && (st.tcp_pending || !st.out.is_empty() || st.session.has_transmit())
    }

    /// Reads until the socket would block (at most [`DEFAULT_READ_BUDGET`]
    /// bytes), feeds the engine and runs the callbacks. Returns whether
    /// the budget ran out with data possibly left: call again later.
    pub fn loop_read(&self) -> Result<bool, Error> {
        self.loop_read_budget(DEFAULT_READ_BUDGET)
    }

    /// [`MqttClient::loop_read`] with a byte budget.
    pub fn loop_read_budget(&self, budget: usize) -> Result<bool, Error> {
        let mut more = false;
        {
            let mut st = self.state.borrow_mut();
            if st.socket.is_none() {
                return Err(Error::NotConnected);
            }
            let mut taken = 0;
            let mut closed = false;
            READ_BUF.with(|buf| {
                let mut buf = buf.borrow_mut();
                loop {
                    if taken >= budget {
                        more = true;
                        break;
                    }
                    let want = buf.len().min(budget - taken);
                    let Some(socket) = st.socket.as_mut() else {
                        break;
                    };
                    match socket.read(&mut buf[..want]) {
                        Ok(0) => {
                            if let Some(Err(e)) = st.stack.as_mut().map(|s| s.read_eof()) {
                                log::debug!("transport closed: {e}");
                            }
                            closed = true;
                            break;
                        }
                        Ok(n) => {
                            taken += n;
                            let now = Instant::now();
                            let State { stack, session, .. } = &mut *st;
                            match stack.as_mut() {
                                None => session.handle_input(now, &buf[..n]),
                                Some(stack) => {
                                    if let Err(e) = stack.read_wire(&buf[..n]) {
                                        log::warn!("transport failed: {e}");
                                        closed = true;
                                        break;
                                    }
                                    let mut plain = Vec::new();
                                    stack.take_plaintext(&mut plain);
                                    if !plain.is_empty() {
                                        session.handle_input(now, &plain);
                                    }
                                }
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            log::debug!("read failed: {e}");
                            closed = true;
                            break;
                        }
                    }
                }
            });
            if closed {
                st.session.handle_transport_closed(Instant::now());
            }
        }
        self.after();
        Ok(more)
    }

    /// Writes what is waiting until the socket would block.
    pub fn loop_write(&self) -> Result<(), Error> {
        if self.state.borrow().socket.is_none() {
            return Err(Error::NotConnected);
        }
        self.after();
        Ok(())
    }

    /// Runs the timers: keep alive, PINGRESP and connect timeouts, expired
    /// queued messages, and the reconnect when its time has come.
    pub fn loop_misc(&self) -> Result<(), Error> {
        let now = Instant::now();
        let reconnect = {
            let mut st = self.state.borrow_mut();
            if st.session.poll_timeout().is_some_and(|d| d <= now) {
                st.session.handle_timeout(now);
            }
            st.socket.is_none() && st.wanted && st.reconnect_at.is_some_and(|t| t <= now)
        };
        if reconnect {
            if let Err(e) = self.open() {
                self.connect_failed(&e);
            }
        }
        self.after();
        Ok(())
    }

    /// When [`MqttClient::loop_misc`] must run next, so the loop can sleep
    /// exactly that long.
    pub fn next_deadline(&self) -> Option<Instant> {
        let st = self.state.borrow();
        let reconnect = if st.socket.is_none() && st.wanted {
            st.reconnect_at
        } else {
            None
        };
        match (st.session.poll_timeout(), reconnect) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Socket changes since the last call, for drivers that register
    /// sockets themselves (the [`crate::Driver`] does).
    pub fn take_socket_events(&self) -> Vec<SocketEvent> {
        std::mem::take(&mut self.state.borrow_mut().socket_events)
    }

    // ---- connecting ----

    /// Opens a non-blocking connection and queues CONNECT; returns at once.
    /// The CONNACK arrives through `loop_read` (then on_connect runs).
    pub fn connect(&self) -> Result<(), Error> {
        {
            let mut st = self.state.borrow_mut();
            st.wanted = true;
            st.reconnect_at = None;
        }
        let result = self.open();
        self.after();
        result
    }

    /// Marks the client as wanting a connection; `loop_misc` opens it.
    pub fn connect_async(&self) {
        let mut st = self.state.borrow_mut();
        st.wanted = true;
        st.reconnect_at = Some(Instant::now());
    }

    fn open(&self) -> Result<(), Error> {
        let mut st = self.state.borrow_mut();
        if st.socket.is_some() {
            return Ok(());
        }
        let addr = (&*st.host, st.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| Error::from(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
        let socket = TcpStream::connect(addr)?;
        socket.set_nodelay(st.nodelay)?;
        st.stack = match &st.layers {
            Some(factory) => Some(Box::new(Stack::new(factory.layers()?)?)),
            None => None,
        };
        let now = Instant::now();
        st.session.connect(now)?;
        let fd = socket.as_raw_fd();
        st.socket = Some(socket);
        st.tcp_pending = true;
        st.out.clear();
        st.socket_events.push(SocketEvent::Opened(fd));
        Ok(())
    }

    fn connect_failed(&self, e: &Error) {
        let cbs = self.callbacks.borrow().clone();
        cbs.log(self, log::Level::Warn, &format!("connect failed: {e}"));
        if let Some(cb) = &cbs.on_connect_fail {
            cb(self, e);
        }
        let mut st = self.state.borrow_mut();
        let delay = st.backoff.next_delay();
        st.reconnect_at = Some(Instant::now() + delay);
    }

    /// Sends DISCONNECT and closes the connection; no reconnect follows.
    pub fn disconnect(&self) -> Result<(), Error> {
        self.disconnect_with(ReasonCode::Success, DisconnectProperties::default())
    }

    /// DISCONNECT with a reason code and 5.0 properties.
    pub fn disconnect_with(
        &self,
        reason: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), Error> {
        {
            let mut st = self.state.borrow_mut();
            st.wanted = false;
            st.reconnect_at = None;
            if st.session.has_connection() {
                st.session.disconnect(
                    Instant::now(),
                    Disconnect {
                        reason,
                        properties: properties.into(),
                    },
                )?;
            }
        }
        self.after();
        Ok(())
    }

    /// Whether a CONNACK accepted the current connection.
    pub fn is_connected(&self) -> bool {
        self.state.borrow().session.is_connected()
    }

    /// A copy of the session state, to resume it later or elsewhere.
    pub fn session_snapshot(&self) -> SessionState {
        self.state.borrow().session.snapshot()
    }

    // ---- commands (as adapter-std's Client) ----

    /// Publishes `payload` to `topic`; returns at once with a handle.
    pub fn publish(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
    ) -> Result<MessageHandle, Error> {
        self.publish_message(OutboundMessage::publish(topic, payload, qos, retain)?)
    }

    /// Publishes a message with 5.0 properties.
    pub fn publish_message(&self, message: OutboundMessage) -> Result<MessageHandle, Error> {
        let (id, completion) = {
            let mut st = self.state.borrow_mut();
            let id = st.session.publish(Instant::now(), message)?;
            (id, st.completions.track(id))
        };
        self.after();
        Ok(MessageHandle::new(id, completion, None))
    }

    /// Subscribes to one filter; the result arrives in on_subscribe.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<PacketId, Error> {
        self.subscribe_with(
            vec![Subscription::new(TopicFilter::new(filter)?, qos)],
            SubscribeProperties::default(),
        )
    }

    /// Subscribes with 5.0 options and properties.
    pub fn subscribe_with(
        &self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<PacketId, Error> {
        let id =
            self.state
                .borrow_mut()
                .session
                .subscribe(Instant::now(), subscriptions, properties)?;
        self.after();
        Ok(id)
    }

    /// Unsubscribes from one filter.
    pub fn unsubscribe(&self, filter: &str) -> Result<PacketId, Error> {
        let id = self.state.borrow_mut().session.unsubscribe(
            Instant::now(),
            vec![TopicFilter::new(filter)?],
            UnsubscribeProperties::default(),
        )?;
        self.after();
        Ok(id)
    }

    /// Acknowledges a message received in manual-ack mode.
    pub fn ack(&self, token: AckToken) -> Result<(), Error> {
        self.state.borrow_mut().session.ack(Instant::now(), token)?;
        self.after();
        Ok(())
    }

    /// Continues an AUTH exchange or starts a re-authentication (5.0).
    pub fn auth(&self, reason: ReasonCode, properties: AuthProperties) -> Result<(), Error> {
        self.state
            .borrow_mut()
            .session
            .auth(Instant::now(), reason, properties)?;
        self.after();
        Ok(())
    }

    // ---- callbacks (as adapter-std's Client) ----

    pub(crate) fn set_callbacks(&self, f: impl FnOnce(&mut Callbacks<MqttClient>)) {
        let mut slot = self.callbacks.borrow_mut();
        let mut next = Callbacks::clone(&slot);
        f(&mut next);
        *slot = Arc::new(next);
    }

    /// Called on every socket change (Paho's on_socket_open, on_socket_close,
    /// on_socket_register_write and on_socket_unregister_write in one).
    pub fn on_socket(&self, f: impl Fn(&MqttClient, SocketEvent) + Send + Sync + 'static) {
        *self.socket_callback.borrow_mut() = Some(Arc::new(f));
    }

    // ---- internals ----

    /// After any input or command: write what can be written, settle
    /// completions, close on disconnection, then run the callbacks with no
    /// borrow held.
    fn after(&self) {
        let (events, socket_events, completed) = {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            let mut layer_failed = None;
            while let Some(bytes) = st.session.poll_transmit() {
                match st.stack.as_mut() {
                    Some(stack) => {
                        if let Err(e) = stack.write_plaintext(&bytes) {
                            layer_failed = Some(e);
                        }
                    }
                    None => {
                        st.queued_total += bytes.len() as u64;
                        if st.out.is_empty() {
                            st.out = BytesMut::from(&bytes[..]);
                        } else {
                            st.out.extend_from_slice(&bytes);
                        }
                    }
                }
            }
            // What the layers have for the socket: framed MQTT bytes, and
            // their own (handshakes, pongs, alerts).
            if let Some(stack) = st.stack.as_mut() {
                let mut wire = Vec::new();
                stack.take_wire(&mut wire);
                st.queued_total += wire.len() as u64;
                st.out.extend_from_slice(&wire);
            }
            if let Some(e) = layer_failed {
                log::warn!("transport failed: {e}");
                st.session.handle_transport_closed(Instant::now());
            }
            let mut events = Vec::new();
            while let Some(e) = st.session.poll_event() {
                if matches!(
                    e,
                    Event::Published {
                        qos: QoS::AtMostOnce,
                        ..
                    }
                ) {
                    // Its bytes are somewhere in what was queued so far.
                    let end = st.queued_total;
                    st.unwritten_qos0.push_back((end, e));
                } else {
                    events.push(e);
                }
            }
            write_out(st);
            while st
                .unwritten_qos0
                .front()
                .is_some_and(|(end, _)| *end <= st.written_total)
            {
                let (_, e) = st.unwritten_qos0.pop_front().expect("front exists");
                events.push(e);
            }
            let mut completed = Vec::new();
            let mut close = false;
            for e in &events {
                completed.extend(st.completions.settle(e));
                match e {
                    Event::Connected { .. } => {
                        st.backoff.reset();
                        st.reconnect_at = None;
                    }
                    Event::Disconnected(why) => {
                        close = true;
                        if st.wanted && !matches!(why, Disconnection::Local { .. }) {
                            let delay = st.backoff.next_delay();
                            st.reconnect_at = Some(Instant::now() + delay);
                        }
                    }
                    _ => {}
                }
            }
            if close {
                // What the engine still had to say (its DISCONNECT) goes
                // first, as far as the socket takes it without blocking.
                write_out(st);
                if let Some(socket) = st.socket.take() {
                    let fd = socket.as_raw_fd();
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                    if st.write_interest {
                        st.socket_events.push(SocketEvent::WriteDone(fd));
                    }
                    st.socket_events.push(SocketEvent::Closed(fd));
                }
                st.out = BytesMut::new();
                st.stack = None;
                st.write_interest = false;
                st.tcp_pending = false;
                // Handed to a transport that is gone: they did leave us, as far
                // as QoS 0 goes (at most once), so complete them now.
                st.written_total = st.queued_total;
                let flushed: Vec<Event> = st.unwritten_qos0.drain(..).map(|(_, e)| e).collect();
                completed.extend(flushed.iter().filter_map(|e| st.completions.settle(e)));
                events.extend(flushed);
            }
            // Interest in writability follows whether bytes wait.
            if let Some(fd) = st.socket.as_ref().map(|s| s.as_raw_fd()) {
                let want = st.tcp_pending || !st.out.is_empty();
                if want != st.write_interest {
                    st.write_interest = want;
                    st.socket_events.push(if want {
                        SocketEvent::WantWrite(fd)
                    } else {
                        SocketEvent::WriteDone(fd)
                    });
                }
            }
            if st.out.is_empty() {
                // An idle client keeps no buffer: with thousands of clients
                // on a thread, buffers kept after a burst (an emptied
                // `BytesMut` still holds its allocation, a drained map or
                // queue its capacity) would be most of their memory. A busy
                // client allocates again per burst, which costs far less
                // than the write it does anyway.
                st.out = BytesMut::new();
                st.session.release_idle_buffers();
                if st.completions.is_empty() {
                    st.completions = Completions::default();
                }
                if st.unwritten_qos0.is_empty() {
                    st.unwritten_qos0 = std::collections::VecDeque::new();
                }
            }
            // With a socket callback the events go to it; without one they
            // wait for `take_socket_events` (the Driver's way).
            let socket_events = if self.socket_callback.borrow().is_some() {
                std::mem::take(&mut st.socket_events)
            } else {
                Vec::new()
            };
            (events, socket_events, completed)
        };
        for settled in completed {
            settled.deliver();
        }
        if !socket_events.is_empty() {
            let cb = self.socket_callback.borrow().clone();
            if let Some(cb) = cb {
                for e in socket_events {
                    cb(self, e);
                }
            }
        }
        if !events.is_empty() {
            let cbs = self.callbacks.borrow().clone();
            cbs.dispatch(self, events);
        }
    }
}

/// Writes `out` to the socket until it would block; confirms a pending connect.
fn write_out(st: &mut State) {
    let Some(socket) = st.socket.as_mut() else {
        return;
    };
    if st.tcp_pending {
        match socket.take_error() {
            Ok(Some(e)) | Err(e) => {
                log::debug!("connect failed: {e}");
                st.session.handle_transport_closed(Instant::now());
                return;
            }
            Ok(None) => {}
        }
        match socket.peer_addr() {
            Ok(_) => st.tcp_pending = false,
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
            Err(e) => {
                log::debug!("connect failed: {e}");
                st.session.handle_transport_closed(Instant::now());
                return;
            }
        }
    }
    while !st.out.is_empty() {
        match socket.write(&st.out) {
            Ok(0) => break,
            Ok(n) => {
                st.out.advance(n);
                st.written_total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("write failed: {e}");
                st.session.handle_transport_closed(Instant::now());
                return;
            }
        }
    }
    let _ = socket.flush();
}

impl Drop for MqttClient {
    fn drop(&mut self) {
        if let Some(socket) = self.state.get_mut().socket.take() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_can_move_to_another_thread() {
        fn is_send<T: Send>() {}
        is_send::<super::MqttClient>();
    }
}

adapter_std::callback_setters!(MqttClient);
