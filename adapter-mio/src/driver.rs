//! Many clients on one thread and one `mio::Poll`.

use crate::client::{MqttClient, SocketEvent};
use crate::timers::Timers;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Identifies a client added to a [`Driver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(usize);

struct Slot {
    /// Boxed: a slot is then a few words, so the spare capacity of the
    /// slot vector (up to half of it after a doubling) costs little per
    /// client, where an inline client (over a kilobyte) would not.
    client: Box<MqttClient>,
    fd: Option<RawFd>,
    deadline: Option<Instant>,
    /// Still readable after its read budget ran out.
    backlog: bool,
}

/// Drives any number of [`MqttClient`]s on one thread: one `mio::Poll` for
/// all sockets, one timer heap for all deadlines, and a per-client read
/// budget with round-robin service so one busy connection cannot starve
/// the rest.
///
/// ```no_run
/// use adapter_mio::{Driver, MqttClient};
/// use adapter_std::ClientOptions;
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
    live: usize,
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
            events: Events::with_capacity(1024),
            slots: Vec::new(),
            free: Vec::new(),
            timers: Timers::default(),
            backlog: VecDeque::new(),
            live: 0,
        })
    }

    /// Adds a client (connected, connecting, or to be connected later with
    /// `connect_async`); its socket and timers are managed from now on.
    pub fn add(&mut self, client: MqttClient) -> ClientId {
        let slot = Slot {
            client: Box::new(client),
            fd: None,
            deadline: None,
            backlog: false,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.live += 1;
        self.sync(index);
        ClientId(index)
    }

    /// Removes a client and gives it back (its socket stays open).
    pub fn remove(&mut self, id: ClientId) -> Option<MqttClient> {
        let slot = self.slots.get_mut(id.0)?.take()?;
        if let Some(fd) = slot.fd {
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        }
        self.free.push(id.0);
        self.live -= 1;
        Some(*slot.client)
    }

    /// The client `id`. Commands on it (publish, subscribe ...) take effect
    /// at once; call [`Driver::touch`] afterwards if its socket or deadline
    /// may have changed (connect, disconnect), or let the next `run_once` see it.
    pub fn client(&self, id: ClientId) -> Option<&MqttClient> {
        self.slots.get(id.0)?.as_ref().map(|s| &*s.client)
    }

    /// Re-reads a client's socket and deadline after commands on it.
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
    /// and serves every client that is ready. Returns how many client
    /// activations it performed.
    pub fn run_once(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
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
        match self.poll.poll(&mut self.events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let mut served = 0;
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

    fn read(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if slot.client.socket().is_some() {
            if let Ok(true) = slot.client.loop_read() {
                if !slot.backlog {
                    slot.backlog = true;
                    self.backlog.push_back(index);
                }
            }
        }
        self.sync(index);
    }

    /// Brings registration and timer of one client in line with its state.
    fn sync(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        // The socket events tell what changed; the fd itself is the truth.
        let _events: Vec<SocketEvent> = slot.client.take_socket_events();
        let fd = slot.client.socket();
        if fd != slot.fd {
            if let Some(old) = slot.fd.take() {
                let _ = self.poll.registry().deregister(&mut SourceFd(&old));
            }
            if let Some(new) = fd {
                // Edge-triggered: readiness is reported on changes, so both
                // interests stay registered for the socket's whole life.
                if self
                    .poll
                    .registry()
                    .register(
                        &mut SourceFd(&new),
                        Token(index),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .is_ok()
                {
                    slot.fd = Some(new);
                }
            }
        }
        let deadline = slot.client.next_deadline();
        if deadline != slot.deadline {
            slot.deadline = deadline;
            if let Some(at) = deadline {
                self.timers.schedule(at, index);
            }
        }
    }
}
