//! One MQTT client over a non-blocking socket, driven by the caller's loop
//! with Paho's external-loop calls. Everything but the socket and the
//! caller's timing is the shared [`ClientCore`].

use mio::net::TcpStream;
use mqtt_client::{
    Callbacks, ClientCore, ClientEvent, ClientOptions, Closing, Error, Network, Outbox,
    SessionState,
};
use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::net::ToSocketAddrs;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

/// What happened to the socket, for loops that register interest themselves
/// (Paho's on_socket_open / close / register_write / unregister_write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketEvent {
    /// A new socket exists: register it for reading.
    Opened(RawFd),
    /// The socket is done: deregister it. The descriptor is still open
    /// while this is reported (during the callback, or until the next
    /// [`MqttClient::take_socket_events`]), so deregistering by it is safe.
    Closed(RawFd),
    /// There is data to write: watch for writability.
    WantWrite(RawFd),
    /// Everything is written: stop watching for writability.
    WriteDone(RawFd),
}

type SocketCallback = Arc<dyn Fn(&MqttClient, SocketEvent) + Send + Sync>;

/// The [`crate::Driver`]'s list of clients whose socket or deadline may
/// have changed through a command.
#[derive(Debug, Clone)]
pub(crate) struct DriverLink {
    pub index: usize,
    pub dirty: Arc<Mutex<Vec<usize>>>,
}

struct Inner {
    core: ClientCore,
    nodelay: bool,
    socket: Option<TcpStream>,
    /// The non-blocking connect has not been confirmed yet.
    tcp_pending: bool,
    outbox: Outbox,
    write_interest: bool,
    /// Socket events not yet handed out, and whether anyone takes them (a
    /// socket callback, or a caller of `take_socket_events`).
    socket_events: Vec<SocketEvent>,
    reports_sockets: bool,
    /// Closed sockets whose `Closed` event is out but maybe not yet seen:
    /// kept open so that their descriptors cannot be reused meanwhile.
    closed: Vec<TcpStream>,
    /// Closed sockets already reported by the previous `take_socket_events`.
    reported: Vec<TcpStream>,
    driver: Option<DriverLink>,
}

/// How many bytes one [`MqttClient::loop_read_budget`] takes by default,
/// so one busy connection cannot starve the others sharing a thread.
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
/// commands are the same as the blocking client's; callbacks run inside
/// these calls, on the loop's thread, never nested in one another.
///
/// `loop_read` reads until the socket would block, so the loop below is
/// right with edge-triggered readiness (mio's). A loop that shares its
/// thread fairly uses [`MqttClient::loop_read_budget`] and calls again
/// while it returns true.
///
/// ```no_run
/// use adapter_mio::MqttClient;
/// use mqtt_client::ClientOptions;
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
    inner: RefCell<Inner>,
    callbacks: RefCell<Arc<Callbacks<MqttClient>>>,
    socket_callback: RefCell<Option<SocketCallback>>,
    /// A call of this client is running callbacks: a call made from one of
    /// them leaves its events for that outer call, in order.
    dispatching: Cell<bool>,
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

    /// A client continuing a saved session (see `session_snapshot`).
    pub fn with_session(options: ClientOptions, state: SessionState) -> Result<Self, Error> {
        Self::build(options, Some(state))
    }

    fn build(options: ClientOptions, saved: Option<SessionState>) -> Result<Self, Error> {
        let mut core = ClientCore::new(&options, saved)?;
        // `connect` returns at once here: nobody waits on an outcome.
        core.record_outcomes(false);
        Ok(Self {
            inner: RefCell::new(Inner {
                core,
                nodelay: options.nodelay(),
                socket: None,
                tcp_pending: false,
                outbox: Outbox::default(),
                write_interest: false,
                socket_events: Vec::new(),
                reports_sockets: false,
                closed: Vec::new(),
                reported: Vec::new(),
                driver: None,
            }),
            callbacks: RefCell::new(Arc::new(Callbacks::default())),
            socket_callback: RefCell::new(None),
            dispatching: Cell::new(false),
        })
    }

    // ---- the external-loop contract ----

    /// The socket to watch, while one is open (register it with
    /// `mio::unix::SourceFd`, `poll(2)`, `select(2)` ...).
    pub fn socket(&self) -> Option<RawFd> {
        self.inner.borrow().socket.as_ref().map(|s| s.as_raw_fd())
    }

    /// Whether there are bytes waiting for the socket to become writable
    /// (or a connect in progress, which completes on writability).
    pub fn want_write(&self) -> bool {
        let inner = self.inner.borrow();
        inner.socket.is_some()
            && (inner.tcp_pending || !inner.outbox.is_empty() || inner.core.has_transmit())
    }

    /// Reads until the socket would block, feeds the engine, writes its
    /// replies and runs the callbacks.
    pub fn loop_read(&self) -> Result<(), Error> {
        self.loop_read_budget(usize::MAX).map(|_| ())
    }

    /// [`MqttClient::loop_read`] taking at most `budget` bytes. Returns
    /// whether the budget ran out with data possibly left: with
    /// edge-triggered readiness, call it again (now or after serving
    /// others), or that data waits for the next byte to arrive.
    pub fn loop_read_budget(&self, budget: usize) -> Result<bool, Error> {
        let more = {
            let mut inner = self.inner.borrow_mut();
            if inner.socket.is_none() {
                return Err(Error::NotConnected);
            }
            READ_BUF.with(|buf| inner.read(&mut buf.borrow_mut(), budget))
        };
        self.after();
        Ok(more)
    }

    /// Writes what is waiting until the socket would block.
    pub fn loop_write(&self) -> Result<(), Error> {
        if self.inner.borrow().socket.is_none() {
            return Err(Error::NotConnected);
        }
        self.after();
        Ok(())
    }

    /// Runs the timers: keep alive, PINGRESP and connect timeouts, expired
    /// queued messages, and the reconnect when its time has come.
    pub fn loop_misc(&self) -> Result<(), Error> {
        let now = Instant::now();
        {
            let mut inner = self.inner.borrow_mut();
            if inner.core.poll_timeout().is_some_and(|d| d <= now) {
                inner.core.handle_timeout(now);
            }
            if inner.socket.is_none() && inner.core.wants_open(now) {
                if let Err(e) = inner.open(now) {
                    inner.core.open_failed(now, e, true);
                }
            }
        }
        self.after();
        Ok(())
    }

    /// When [`MqttClient::loop_misc`] must run next, so the loop can sleep
    /// exactly that long.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.inner.borrow().core.poll_timeout()
    }

    /// Socket changes since the last call, for loops that register sockets
    /// themselves without a socket callback. Sockets reported `Closed`
    /// stay open until the next call, so deregister them before it.
    pub fn take_socket_events(&self) -> Vec<SocketEvent> {
        let mut inner = self.inner.borrow_mut();
        inner.reports_sockets = true;
        inner.reported = std::mem::take(&mut inner.closed);
        std::mem::take(&mut inner.socket_events)
    }

    // ---- connecting ----

    /// Opens a non-blocking connection and queues CONNECT; returns at once.
    /// The CONNACK arrives through `loop_read` (then on_connect runs).
    pub fn connect(&self) -> Result<(), Error> {
        let result = {
            let mut inner = self.inner.borrow_mut();
            inner.core.begin_connect();
            let now = Instant::now();
            inner.open(now).inspect_err(|e| {
                inner.core.open_failed(now, e.clone(), false);
            })
        };
        self.after();
        result
    }

    /// Marks the client as wanting a connection; `loop_misc` opens it.
    pub fn connect_async(&self) {
        self.inner
            .borrow_mut()
            .core
            .request_connection(Instant::now());
        self.mark_dirty();
    }

    // ---- callbacks ----

    /// Callbacks are replaced copy-on-write: dispatch clones one `Arc`.
    pub(crate) fn set_callbacks(&self, f: impl FnOnce(&mut Callbacks<MqttClient>)) {
        let mut slot = self.callbacks.borrow_mut();
        let mut next = Callbacks::clone(&slot);
        f(&mut next);
        self.inner.borrow_mut().core.callbacks_set(&next);
        *slot = Arc::new(next);
    }

    /// Called on every socket change (Paho's on_socket_open, on_socket_close,
    /// on_socket_register_write and on_socket_unregister_write in one).
    #[doc(alias = "on_socket_open")]
    #[doc(alias = "on_socket_close")]
    #[doc(alias = "on_socket_register_write")]
    #[doc(alias = "on_socket_unregister_write")]
    pub fn on_socket(&self, f: impl Fn(&MqttClient, SocketEvent) + Send + Sync + 'static) {
        *self.socket_callback.borrow_mut() = Some(Arc::new(f));
        self.inner.borrow_mut().reports_sockets = true;
    }

    // ---- what the shared commands call ----

    fn command<R>(
        &self,
        f: impl FnOnce(&mut ClientCore, Instant) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let result = f(&mut self.inner.borrow_mut().core, Instant::now());
        // With a session store, in a Driver, what commands produce waits
        // for the driver's next round, which writes it: the messages
        // published until then share one sync of the store (group
        // commit). A client run by the application's own loop writes at
        // once, as without a store: that loop may not call loop_write
        // until the socket's next event.
        let defer = {
            let inner = self.inner.borrow();
            inner.driver.is_some() && inner.core.session().config().durable
        };
        self.after_with(!defer);
        result
    }

    fn inspect<R>(&self, f: impl FnOnce(&ClientCore) -> R) -> R {
        f(&self.inner.borrow().core)
    }

    fn network(&self) -> Option<Weak<dyn Network>> {
        // The client is not `Sync`: its handles cannot drive it from
        // another thread, and on its own thread they must not block.
        None
    }

    // ---- the driver's part ----

    /// [`ClientCore::packets_received`], for the driver's batch window.
    pub(crate) fn packets_received(&self) -> u64 {
        self.inner.borrow().core.packets_received()
    }

    /// [`ClientCore::streaming`], for the driver's batch window.
    pub(crate) fn streaming(&self, packets_in_last_read: u64) -> bool {
        self.inner.borrow().core.streaming(packets_in_last_read)
    }

    pub(crate) fn link_driver(&self, link: Option<DriverLink>) {
        let mut inner = self.inner.borrow_mut();
        inner.reports_sockets |= link.is_some();
        inner.driver = link;
    }

    fn mark_dirty(&self) {
        if let Some(link) = &self.inner.borrow().driver {
            let mut dirty = link.dirty.lock().unwrap_or_else(|e| e.into_inner());
            if dirty.last() != Some(&link.index) {
                dirty.push(link.index);
            }
        }
    }

    /// After any input or command: write what can be written, close the
    /// transport when the core says so, settle handles, then hand out the
    /// socket events and run the callbacks with no borrow held.
    fn after(&self) {
        self.after_with(true);
    }

    /// [`MqttClient::after`], writing only if `flush`.
    fn after_with(&self, flush: bool) {
        let now = Instant::now();
        let (settled, socket_events) = {
            let mut inner = self.inner.borrow_mut();
            if flush {
                inner.flush(now);
            }
            inner.close_if_due(now);
            inner.track_write_interest();
            let socket_events = if self.socket_callback.borrow().is_some() {
                std::mem::take(&mut inner.socket_events)
            } else {
                Vec::new()
            };
            (inner.core.take_settled(), socket_events)
        };
        self.mark_dirty();
        for s in settled {
            s.deliver();
        }
        if !socket_events.is_empty() {
            let cb = self.socket_callback.borrow().clone();
            if let Some(cb) = cb {
                for e in socket_events {
                    cb(self, e);
                }
            }
            // Reported, and the callback has returned: now they may close.
            self.inner.borrow_mut().closed.clear();
        }
        if self.dispatching.replace(true) {
            return;
        }
        loop {
            let events: Vec<ClientEvent> = {
                let mut inner = self.inner.borrow_mut();
                let events: Vec<ClientEvent> =
                    std::iter::from_fn(|| inner.core.poll_event()).collect();
                if events.is_empty() && inner.outbox.is_empty() {
                    // An idle client keeps no buffer: with thousands of
                    // clients on a thread, buffers kept after a burst would
                    // be most of their memory. A busy client allocates again
                    // per burst.
                    inner.core.release_idle_buffers();
                }
                events
            };
            if events.is_empty() {
                break;
            }
            let callbacks = self.callbacks.borrow().clone();
            for e in events {
                // With a session store, a QoS 2 message counts as received
                // once its callback returned: see mqtt_client::store.
                let handled = e.held_message();
                callbacks.dispatch_one(self, e);
                if let Some(id) = handled {
                    self.inner
                        .borrow_mut()
                        .core
                        .message_handled(Instant::now(), id);
                }
            }
        }
        self.dispatching.set(false);
    }
}

impl Inner {
    /// Opens a non-blocking TCP connection and hands it to the core.
    fn open(&mut self, now: Instant) -> Result<(), Error> {
        if self.socket.is_some() {
            return Ok(());
        }
        let endpoint = self.core.endpoint().to_string();
        let opened = endpoint
            .as_str()
            .to_socket_addrs()
            .and_then(|mut addrs| {
                addrs
                    .next()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
            })
            .and_then(TcpStream::connect)
            .and_then(|socket| socket.set_nodelay(self.nodelay).map(|()| socket));
        let socket = opened.map_err(|e| Error::io_at(&endpoint, e))?;
        self.core.transport_opened(now)?;
        let fd = socket.as_raw_fd();
        self.socket = Some(socket);
        self.tcp_pending = true;
        self.outbox.clear();
        if self.reports_sockets {
            self.socket_events.push(SocketEvent::Opened(fd));
        }
        Ok(())
    }

    /// Reads up to `budget` bytes, until the socket would block; whether
    /// the budget ran out first.
    fn read(&mut self, buf: &mut [u8], budget: usize) -> bool {
        let mut taken = 0;
        while let Some(socket) = self.socket.as_mut() {
            if taken >= budget {
                return true;
            }
            let want = buf.len().min(budget - taken);
            let now = Instant::now();
            match socket.read(&mut buf[..want]) {
                Ok(0) => {
                    self.core.handle_read_eof(now);
                    break;
                }
                Ok(n) => {
                    taken += n;
                    self.core.handle_read(now, &buf[..n]);
                    if self.core.closing() == Closing::Now {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.core.handle_transport_error(now, e);
                    break;
                }
            }
        }
        false
    }

    /// Writes what the core produced until the socket would block;
    /// confirms a pending connect first.
    fn flush(&mut self, now: Instant) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if self.tcp_pending {
            match connect_result(socket) {
                Ok(false) => return,
                Ok(true) => self.tcp_pending = false,
                Err(e) => return self.core.handle_transport_error(now, e),
            }
        }
        loop {
            if let Some(bytes) = self.core.take_transmit(now) {
                self.outbox.push(bytes);
            }
            if self.outbox.is_empty() {
                return;
            }
            let written = self.outbox.write_to(socket);
            self.core.transmitted(written.bytes);
            if let Some(e) = written.error {
                return self.core.handle_transport_error(now, e);
            }
            if !self.outbox.is_empty() {
                return; // the socket is full
            }
        }
    }

    /// Closes the socket once the core ended the connection and its last
    /// bytes left, or at once if it failed.
    fn close_if_due(&mut self, now: Instant) {
        let close = match self.core.closing() {
            Closing::No => false,
            Closing::AfterWrites => self.outbox.is_empty() || self.tcp_pending,
            Closing::Now => true,
        };
        if !close {
            return;
        }
        if let Some(socket) = self.socket.take() {
            let fd = socket.as_raw_fd();
            let _ = socket.shutdown(std::net::Shutdown::Both);
            if self.reports_sockets {
                if self.write_interest {
                    self.socket_events.push(SocketEvent::WriteDone(fd));
                }
                self.socket_events.push(SocketEvent::Closed(fd));
                // Open until the loop has seen the event.
                self.closed.push(socket);
            }
        }
        self.outbox.clear();
        self.write_interest = false;
        self.tcp_pending = false;
        self.core.transport_closed(now);
    }

    /// Interest in writability follows whether bytes wait.
    fn track_write_interest(&mut self) {
        let Some(fd) = self.socket.as_ref().map(|s| s.as_raw_fd()) else {
            return;
        };
        let want = self.tcp_pending || !self.outbox.is_empty() || self.core.has_transmit();
        if want != self.write_interest {
            self.write_interest = want;
            if self.reports_sockets {
                self.socket_events.push(if want {
                    SocketEvent::WantWrite(fd)
                } else {
                    SocketEvent::WriteDone(fd)
                });
            }
        }
    }
}

/// Whether a non-blocking connect has completed (`Ok(false)`: not yet).
fn connect_result(socket: &TcpStream) -> io::Result<bool> {
    if let Some(e) = socket.take_error()? {
        return Err(e);
    }
    match socket.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

impl Drop for MqttClient {
    fn drop(&mut self) {
        if let Some(socket) = self.inner.get_mut().socket.take() {
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

mqtt_client::callback_setters!(MqttClient);
mqtt_client::client_commands!(MqttClient);
