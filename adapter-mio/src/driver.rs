//! Many clients on one thread and one `mio::Poll`.

use crate::client::{DriverLink, MqttClient, SocketEvent};
use crate::timers::Timers;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Identifies a client added to a [`Driver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(usize);

struct Slot {
    /// Boxed: a slot is then a few words, so the spare capacity of the
    /// slot vector (up to half of it after a doubling) costs little per
    /// client, where an inline client (over a kilobyte) would not.
    client: Box<MqttClient>,
    deadline: Option<Instant>,
    /// Still readable after its read budget ran out.
    backlog: bool,
}

/// Readiness events one poll takes.
const EVENTS: usize = 1024;

/// Drives any number of [`MqttClient`]s on one thread: one `mio::Poll` for
/// all sockets, one timer heap for all deadlines, and a per-client read
/// budget with round-robin service so one busy connection cannot starve
/// the rest.
///
/// Sockets are registered and deregistered from the clients' socket
/// events, while their descriptors are still open, so a descriptor the
/// system reuses for another client is never mistaken for an old one.
/// Commands given through [`Driver::client`] (publish, connect,
/// disconnect ...) mark the client for the next [`Driver::run_once`],
/// which brings its registration and timer up to date before waiting.
///
/// ```no_run
/// use adapter_mio::{Driver, MqttClient};
/// use mqtt_client::ClientOptions;
///
/// let mut driver = Driver::new().unwrap();
/// for i in 0..1000 {
///     let c = MqttClient::new(ClientOptions::new("127.0.0.1", 1883).client_id(format!("c{i}"))).unwrap();
///     c.connect().unwrap();
///     driver.add(c);
/// }
/// loop {
///     driver.run_once(None).unwrap();
/// }
/// ```
pub struct Driver {
    poll: Poll,
    events: Events,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    timers: Timers,
    backlog: VecDeque<usize>,
    /// Clients whose commands may have changed their socket or deadline.
    dirty: Arc<Mutex<Vec<usize>>>,
    live: usize,
    /// See [`Driver::set_batch_window`].
    batch_window: Duration,
    /// A client's last read this round brought a batch, or it has many
    /// messages in flight: the next round lets input gather first.
    streaming: bool,
    /// The last poll filled the event buffer: more sockets are ready.
    poll_full: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("clients", &self.live)
            .finish()
    }
}

impl Driver {
    /// An empty driver.
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            poll: Poll::new()?,
            events: Events::with_capacity(EVENTS),
            slots: Vec::new(),
            free: Vec::new(),
            timers: Timers::default(),
            backlog: VecDeque::new(),
            dirty: Arc::new(Mutex::new(Vec::new())),
            live: 0,
            batch_window: mqtt_client::ClientOptions::DEFAULT_BATCH_WINDOW,
            streaming: false,
            poll_full: false,
        })
    }

    /// How long a round lets input gather before it polls while a broker
    /// streams to one of the clients (a read brought four packets or more,
    /// or a client has 32 or more messages in flight): each round then
    /// serves a batch per client instead of a packet or two, which is most
    /// of the CPU a message costs under load. Default 200 µs, as
    /// [`mqtt_client::ClientOptions::batch_window`]; `Duration::ZERO` turns it off. A
    /// request and its answers never count as a stream. No round waits
    /// beyond its timeout or the next timer.
    pub fn set_batch_window(&mut self, window: Duration) {
        self.batch_window = window;
    }

    /// Adds a client (connected, connecting, or to be connected later with
    /// `connect_async`); its socket and timers are managed from now on.
    pub fn add(&mut self, client: MqttClient) -> ClientId {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        client.link_driver(Some(DriverLink {
            index,
            dirty: self.dirty.clone(),
        }));
        // A socket opened before the client came here has no event yet.
        if let Some(fd) = client.socket() {
            self.register(fd, index);
        }
        // Events from before belong to no registration of ours.
        let _ = client.take_socket_events();
        self.slots[index] = Some(Slot {
            client: Box::new(client),
            deadline: None,
            backlog: false,
        });
        self.live += 1;
        self.sync(index);
        ClientId(index)
    }

    /// Removes a client and gives it back (its socket stays open).
    pub fn remove(&mut self, id: ClientId) -> Option<MqttClient> {
        self.sync(id.0);
        let slot = self.slots.get_mut(id.0)?.take()?;
        if let Some(fd) = slot.client.socket() {
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        }
        slot.client.link_driver(None);
        self.free.push(id.0);
        self.live -= 1;
        Some(*slot.client)
    }

    /// The client `id`. Commands on it (publish, subscribe, connect,
    /// disconnect ...) take effect at once; the next [`Driver::run_once`]
    /// takes up the socket and deadline changes they made.
    pub fn client(&self, id: ClientId) -> Option<&MqttClient> {
        self.slots.get(id.0)?.as_ref().map(|s| &*s.client)
    }

    /// Brings a client's socket registration and deadline up to date now
    /// (`run_once` does it for every client a command changed).
    pub fn touch(&mut self, id: ClientId) {
        self.sync(id.0);
    }

    /// How many clients the driver holds.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the driver holds no client.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Ids of every client.
    pub fn ids(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| ClientId(i))
    }

    /// Waits for socket readiness or the next deadline (at most `timeout`)
    /// and serves every client that is ready or was changed by a command.
    /// Returns how many client activations it performed. While a broker
    /// streams to one of the clients, it first lets input gather for the
    /// batch window ([`Driver::set_batch_window`]), within `timeout`.
    pub fn run_once(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let mut served = self.sync_dirty();
        let now = Instant::now();
        let mut wait = match self.timers.next() {
            Some(at) => Some(at.saturating_duration_since(now)),
            None => timeout,
        };
        if let (Some(w), Some(t)) = (wait, timeout) {
            wait = Some(w.min(t));
        }
        if !self.backlog.is_empty() {
            wait = Some(Duration::ZERO);
        }
        // A poll that filled the event buffer left ready sockets for the
        // next: they are served at once, not after a window.
        let streaming = std::mem::take(&mut self.streaming);
        if streaming && !self.poll_full && wait != Some(Duration::ZERO) {
            let nap = wait.map_or(self.batch_window, |w| w.min(self.batch_window));
            if !nap.is_zero() {
                std::thread::sleep(nap);
                wait = wait.map(|w| w.saturating_sub(nap));
            }
        }
        match self.poll.poll(&mut self.events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        self.poll_full = self.events.iter().count() >= EVENTS;
        let ready: Vec<(usize, bool, bool)> = self
            .events
            .iter()
            .map(|e| {
                (
                    e.token().0,
                    e.is_readable() || e.is_read_closed() || e.is_error(),
                    e.is_writable(),
                )
            })
            .collect();
        // Clients left with unread data last round go first this round.
        let backlog: Vec<usize> = self.backlog.drain(..).collect();
        for index in backlog {
            if let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) {
                slot.backlog = false;
                served += 1;
                self.read(index);
            }
        }
        for (index, readable, writable) in ready {
            let Some(slot) = self.slots.get(index).and_then(Option::as_ref) else {
                continue;
            };
            served += 1;
            if writable {
                let _ = slot.client.loop_write();
            }
            if readable {
                self.read(index);
            } else {
                self.sync(index);
            }
        }
        let now = Instant::now();
        let mut due = Vec::new();
        self.timers.pop_due(now, |at, index| due.push((at, index)));
        for (at, index) in due {
            let Some(slot) = self.slots.get(index).and_then(Option::as_ref) else {
                continue;
            };
            if slot.deadline != Some(at) {
                continue; // rescheduled since: a stale entry
            }
            served += 1;
            let _ = slot.client.loop_misc();
            // The deadline fired: a new one must be scheduled even if equal.
            if let Some(s) = self.slots[index].as_mut() {
                s.deadline = None;
            }
            self.sync(index);
        }
        // Commands from callbacks run above changed these.
        self.sync_dirty();
        if self.timers.len() > 4 * self.live + 64 {
            let slots = &self.slots;
            self.timers.compact(|at, i| {
                slots
                    .get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|s| s.deadline == Some(at))
            });
        }
        Ok(served)
    }

    /// Runs until `done` returns true or `timeout` passes; whether `done` became true.
    pub fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&Driver) -> bool,
    ) -> io::Result<bool> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            self.run_once(Some(left.min(Duration::from_millis(100))))?;
        }
        Ok(true)
    }

    /// Syncs the clients commands changed; how many.
    fn sync_dirty(&mut self) -> usize {
        let dirty = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()));
        let n = dirty.len();
        for index in dirty {
            self.sync(index);
        }
        n
    }

    fn read(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if slot.client.socket().is_some() {
            let received = slot.client.packets_received();
            if let Ok(true) = slot.client.loop_read_budget(crate::DEFAULT_READ_BUDGET) {
                if !slot.backlog {
                    slot.backlog = true;
                    self.backlog.push_back(index);
                }
            }
            // Saturating: a callback replacing the client's core would
            // restart its count.
            let brought = slot.client.packets_received().saturating_sub(received);
            self.streaming |= slot.client.streaming(brought);
        }
        self.sync(index);
    }

    fn register(&self, fd: i32, index: usize) {
        // Edge-triggered: readiness is reported on changes, so both
        // interests stay registered for the socket's whole life.
        if let Err(e) = self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(index),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            log::error!("cannot register a client's socket: {e}");
        }
    }

    /// Brings registration and timer of one client in line with its state.
    fn sync(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        // Bytes a command left for the loop (a client with a session store
        // defers them to batch its syncs): written now, once per turn, and
        // first, so that what the write changes (a store failure closing
        // the socket, a new deadline) is seen below.
        if slot.client.want_write() {
            let _ = slot.client.loop_write();
        }
        // A closed socket's descriptor is still open while its event is
        // handled here, so deregistering it cannot touch another client's.
        let events = slot.client.take_socket_events();
        let deadline = slot.client.next_deadline();
        for event in events {
            match event {
                SocketEvent::Opened(fd) => self.register(fd, index),
                SocketEvent::Closed(fd) => {
                    let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                }
                SocketEvent::WantWrite(_) | SocketEvent::WriteDone(_) => {}
            }
        }
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if deadline != slot.deadline {
            slot.deadline = deadline;
            if let Some(at) = deadline {
                self.timers.schedule(at, index);
            }
        }
    }
}
