//! The network side of a blocking client: the baton (which thread may
//! touch the socket), what its holder does in one turn, and how other
//! threads hand it work or wait. The crate documentation describes the
//! model; this module is its code.

use crate::client::Client;
use crate::connector::{Connector, Socket};
use bytes::Bytes;
use mio::{Events, Interest, Poll, Token};
use mqtt_client::{ClientCore, ClientEvent, Closing, Error, Outbox, Written};
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// The waker's token in the poll.
const WAKE: Token = Token(0);
/// The socket's token in the poll.
const SOCKET: Token = Token(1);
/// Bytes read per turn.
const READ_BUFFER: usize = 64 * 1024;

/// Who may touch the socket: read it, write it, close it, sleep in poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Baton {
    /// Nobody: the next thread with work for the socket takes it.
    Free,
    /// One thread. `polling`: it sleeps (or is about to) in poll and must
    /// be woken for new work; otherwise it looks at the core again before
    /// it sleeps or lets go.
    Held { by: ThreadId, polling: bool },
}

/// Everything behind the client's one lock.
pub(crate) struct State {
    pub core: ClientCore,
    pub baton: Baton,
    /// A socket a thread without the baton opened (`connect`), for the
    /// holder to install.
    pub opened: Option<Box<dyn Socket>>,
    /// The thread of `loop_start` or `loop_forever`, while one runs: it
    /// holds the baton, and callbacks run on it.
    pub loop_owner: Option<ThreadId>,
    /// Counts `loop_stop` calls: a loop ends when it changes.
    pub loop_epoch: u64,
    /// Threads waiting on [`Shared::changed`].
    pub waiters: usize,
    /// Events whose callbacks have run (or are being run by the holder).
    pub dispatched: u64,
}

/// The socket side, locked only by the baton's holder (so never contended
/// for long): the mutex is there because Rust needs one to share it.
pub(crate) struct Io {
    poll: Poll,
    events: Events,
    socket: Option<Box<dyn Socket>>,
    /// Bytes taken from the core that the socket has not accepted yet.
    unsent: Outbox,
    /// The last read filled the buffer: more may wait in the socket.
    read_more: bool,
    buf: Box<[u8]>,
}

/// A blocking client's shared state. See the crate documentation.
pub(crate) struct Shared {
    /// This client, for building a [`Client`] from a message handle's wait.
    pub self_ref: Weak<Shared>,
    pub state: Mutex<State>,
    /// Signalled, when a thread waits on it, after a message handle
    /// settled, the baton was let go, an attempt was decided or events
    /// were dispatched.
    pub changed: Condvar,
    pub io: Mutex<Io>,
    /// Wakes the baton's holder out of poll.
    pub waker: mio::Waker,
    pub callbacks: RwLock<Arc<mqtt_client::Callbacks<Client>>>,
    pub connector: Arc<dyn Connector>,
    pub connect_timeout: Duration,
    pub background: Mutex<Option<thread::JoinHandle<Result<(), Error>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under our locks, so poisoning only means a bug
    // panicked elsewhere; the data is still consistent enough to go on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Io {
    pub fn new() -> io::Result<(Self, mio::Waker)> {
        let poll = Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        Ok((
            Self {
                poll,
                events: Events::with_capacity(8),
                socket: None,
                unsent: Outbox::default(),
                read_more: false,
                buf: vec![0; READ_BUFFER].into_boxed_slice(),
            },
            waker,
        ))
    }

    /// Writes what waits, then `more`, until done or the socket is full.
    fn write(&mut self, more: Option<Bytes>) -> Written {
        if let Some(more) = more {
            self.unsent.push(more);
        }
        match self.socket.as_mut() {
            Some(socket) => self.unsent.write_to(socket),
            None => {
                self.unsent.clear();
                Written {
                    bytes: 0,
                    error: None,
                }
            }
        }
    }

    /// One read into the buffer.
    fn read(&mut self) -> Input {
        self.read_more = false;
        let Some(socket) = self.socket.as_mut() else {
            return Input::Nothing;
        };
        loop {
            match socket.read(&mut self.buf) {
                Ok(0) => return Input::Eof,
                Ok(n) => {
                    // A stream socket returns all it holds up to the buffer's
                    // size: a full buffer may have left more behind.
                    self.read_more = n == self.buf.len();
                    return Input::Data(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Input::Nothing,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Input::Failed(e),
            }
        }
    }

    fn close(&mut self) {
        if let Some(mut socket) = self.socket.take() {
            let _ = self.poll.registry().deregister(&mut *socket);
            let _ = socket.shutdown();
        }
        self.unsent.clear();
        self.read_more = false;
    }

    fn install(&mut self, mut socket: Box<dyn Socket>) -> io::Result<()> {
        self.close();
        self.poll.registry().register(
            &mut *socket,
            SOCKET,
            // Edge-triggered: reads go until the socket is drained, writes
            // until it is full, and a new edge comes after either.
            Interest::READABLE | Interest::WRITABLE,
        )?;
        self.socket = Some(socket);
        Ok(())
    }
}

impl Drop for Io {
    /// The last handle is gone: the transport closes at once, without
    /// DISCONNECT (so the broker publishes the will).
    fn drop(&mut self) {
        self.close();
    }
}

/// What one read gave.
enum Input {
    Nothing,
    Data(usize),
    Eof,
    Failed(io::Error),
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn lock_io(&self) -> MutexGuard<'_, Io> {
        lock(&self.io)
    }

    fn client(&self) -> Option<Client> {
        self.self_ref.upgrade().map(|shared| Client { shared })
    }

    /// After a command changed the core, on whatever thread: settles
    /// handles, then gets what the command produced to the socket: the
    /// holder picks it up (woken if it sleeps), or, with nobody holding
    /// the baton, this thread takes it and writes.
    pub fn after_command(&self, mut st: MutexGuard<'_, State>) {
        self.settle(&mut st);
        let me = thread::current().id();
        match st.baton {
            // This thread holds it (inside a callback): its loop writes
            // once the callback returns, batched with the others.
            Baton::Held { by, .. } if by == me => {}
            Baton::Held { by, polling: true } => {
                if self.has_work(&st) {
                    st.baton = Baton::Held { by, polling: false };
                    drop(st);
                    self.wake();
                }
            }
            Baton::Held { polling: false, .. } => {}
            Baton::Free => {
                if self.has_work(&st) {
                    st.baton = Baton::Held {
                        by: me,
                        polling: false,
                    };
                    drop(st);
                    let _baton = BatonGuard(self);
                    self.turn(&mut self.lock_io(), Wait::No, false);
                }
            }
        }
    }

    /// Whether the baton's holder has something to do beyond waiting for
    /// input: bytes to write, a transport to install or close, events
    /// for a loop to dispatch.
    fn has_work(&self, st: &State) -> bool {
        st.core.has_transmit()
            || st.opened.is_some()
            || st.core.closing() != Closing::No
            || (st.loop_owner.is_some() && st.core.has_events())
    }

    pub fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            log::error!("cannot wake the network thread: {e}");
        }
    }

    /// Delivers the handles the core settled and wakes their waiters.
    fn settle(&self, st: &mut State) {
        if st.core.has_settled() {
            for s in st.core.take_settled() {
                s.deliver();
            }
            if st.waiters > 0 {
                self.changed.notify_all();
            }
        }
    }

    /// One turn of the baton's holder: install a new transport or close
    /// the old, wait for input, a timer or a wake-up (at most until
    /// `wait`'s instant; not at all, and no reading, for [`Wait::No`]),
    /// read, feed the core, write what it produced. Returns the events
    /// for the callbacks if `dispatch`, else leaves them in the core.
    pub fn turn(&self, io: &mut Io, wait: Wait, dispatch: bool) -> Vec<ClientEvent> {
        let me = thread::current().id();
        let timeout = {
            let mut st = self.lock();
            let now = Instant::now();
            self.install(&mut st, io, now);
            match wait {
                Wait::No => None,
                Wait::Until(until) => {
                    let timer = st.core.poll_timeout();
                    let busy = st.core.has_transmit()
                        || io.read_more
                        || st.core.closing() != Closing::No
                        || st.opened.is_some()
                        || (dispatch && st.core.has_events())
                        || timer.is_some_and(|t| t <= now);
                    if busy {
                        Some(Some(Duration::ZERO))
                    } else {
                        st.baton = Baton::Held {
                            by: me,
                            polling: true,
                        };
                        let until = match (timer, until) {
                            (Some(t), Some(u)) => Some(t.min(u)),
                            (t, u) => t.or(u),
                        };
                        Some(until.map(|u| u.saturating_duration_since(now)))
                    }
                }
            }
        };
        let mut readable = io.read_more;
        if let Some(timeout) = timeout {
            match io.poll.poll(&mut io.events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => log::error!("poll failed: {e}"),
            }
            readable |= io.events.iter().any(|e| {
                e.token() == SOCKET && (e.is_readable() || e.is_read_closed() || e.is_error())
            });
        }
        let read = if readable { io.read() } else { Input::Nothing };
        let bytes = {
            let mut st = self.lock();
            st.baton = Baton::Held {
                by: me,
                polling: false,
            };
            let now = Instant::now();
            match read {
                Input::Nothing => {}
                Input::Data(n) => st.core.handle_read(now, &io.buf[..n]),
                Input::Eof => st.core.handle_read_eof(now),
                Input::Failed(e) => st.core.handle_transport_error(now, e),
            }
            if st.core.poll_timeout().is_some_and(|t| t <= now) {
                st.core.handle_timeout(now);
            }
            st.core.take_transmit(now)
        };
        let written = io.write(bytes);
        let mut st = self.lock();
        let now = Instant::now();
        st.core.transmitted(written.bytes);
        if let Some(e) = written.error {
            // The reason may be waiting to be read (a TLS alert before the
            // peer closed): read it first, so that it is what is reported.
            if let Input::Data(n) = io.read() {
                st.core.handle_read(now, &io.buf[..n]);
            }
            st.core.handle_transport_error(now, e);
        }
        self.close_if_due(&mut st, io, now);
        self.settle(&mut st);
        if dispatch {
            let events: Vec<ClientEvent> = std::iter::from_fn(|| st.core.poll_event()).collect();
            if !events.is_empty() {
                return events;
            }
        }
        Vec::new()
    }

    /// Installs a socket another thread opened, and closes what the core
    /// says to close.
    fn install(&self, st: &mut State, io: &mut Io, now: Instant) {
        self.close_if_due(st, io, now);
        let Some(socket) = st.opened.take() else {
            return;
        };
        if st.core.has_transport() {
            // A `connect` or `reconnect` replaces the current connection.
            st.core
                .handle_transport_error(now, io::Error::other("replaced by a new connection"));
            io.close();
            st.core.transport_closed(now);
        }
        if let Err(e) = io.install(socket) {
            st.core
                .open_failed(now, Error::io_at(st.core.endpoint(), e), false);
            return;
        }
        if let Err(e) = st.core.transport_opened(now) {
            io.close();
            st.core.open_failed(now, e, false);
        }
    }

    /// Closes the transport once the core ended it and its last bytes left
    /// (or at once, if it failed).
    fn close_if_due(&self, st: &mut State, io: &mut Io, now: Instant) {
        let close = match st.core.closing() {
            Closing::No => false,
            Closing::AfterWrites => io.unsent.is_empty(),
            Closing::Now => true,
        };
        if close {
            io.close();
            st.core.transport_closed(now);
        }
    }

    /// Runs the callbacks for `events` on this thread, with no lock held,
    /// and counts them as dispatched (also if a callback panics).
    pub fn dispatch(&self, client: &Client, events: Vec<ClientEvent>) {
        if events.is_empty() {
            return;
        }
        struct Counted<'a>(&'a Shared, u64);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                st.dispatched += self.1;
                if st.waiters > 0 {
                    self.0.changed.notify_all();
                }
            }
        }
        let _counted = Counted(self, events.len() as u64);
        let callbacks = client.callbacks();
        for e in events {
            callbacks.dispatch_one(client, e);
        }
    }

    /// Opens a transport if the core wants one now. Blocking (DNS, TCP
    /// connect), outside the lock; the holder installs it next turn.
    pub fn reconnect_if_due(&self) {
        if !self.lock().core.wants_open(Instant::now()) {
            return;
        }
        let opened = self.connector.connect(self.connect_timeout);
        let mut st = self.lock();
        match opened {
            Ok(socket) => st.opened = Some(socket),
            Err(e) => {
                st.core.open_failed(Instant::now(), e, true);
            }
        }
    }

    /// Waits until `done` holds (it gets the state and whether this thread
    /// is nested in a callback it runs), or `deadline` passes; false on
    /// timeout. Drives the network meanwhile when this thread may: it holds
    /// the baton (a wait inside a callback: no callbacks run, they would
    /// nest), or nobody does and no loop runs (then callbacks run here, as
    /// in `loop_once`). Otherwise sleeps until the holder reports a change.
    pub fn wait_until(
        &self,
        done: impl Fn(&State, bool) -> bool,
        deadline: Option<Instant>,
    ) -> bool {
        let me = thread::current().id();
        let mut st = self.lock();
        loop {
            let nested = matches!(st.baton, Baton::Held { by, .. } if by == me);
            if done(&st, nested) {
                return true;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return false;
            }
            match st.baton {
                Baton::Held { by, .. } if by == me => {
                    drop(st);
                    self.turn(&mut self.lock_io(), Wait::Until(deadline), false);
                    st = self.lock();
                }
                Baton::Free if st.loop_owner.is_none() => {
                    st.baton = Baton::Held {
                        by: me,
                        polling: false,
                    };
                    drop(st);
                    let baton = BatonGuard(self);
                    let client = self.client();
                    loop {
                        let events = self.turn(&mut self.lock_io(), Wait::Until(deadline), true);
                        if let Some(client) = &client {
                            self.dispatch(client, events);
                        }
                        let st = self.lock();
                        if done(&st, false) || deadline.is_some_and(|d| Instant::now() >= d) {
                            break;
                        }
                    }
                    drop(baton);
                    st = self.lock();
                }
                _ => {
                    st.waiters += 1;
                    st = match deadline {
                        None => self.changed.wait(st).unwrap_or_else(|e| e.into_inner()),
                        Some(d) => {
                            self.changed
                                .wait_timeout(st, d.saturating_duration_since(now))
                                .unwrap_or_else(|e| e.into_inner())
                                .0
                        }
                    };
                    st.waiters -= 1;
                }
            }
        }
    }

    /// Takes the baton for this thread, waiting while another holds it.
    /// `None` if this thread already holds it.
    pub fn acquire(&self) -> Option<BatonGuard<'_>> {
        let me = thread::current().id();
        let mut st = self.lock();
        loop {
            match st.baton {
                Baton::Held { by, .. } if by == me => return None,
                Baton::Free => {
                    st.baton = Baton::Held {
                        by: me,
                        polling: false,
                    };
                    return Some(BatonGuard(self));
                }
                Baton::Held { .. } => {
                    st.waiters += 1;
                    st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                    st.waiters -= 1;
                }
            }
        }
    }

    /// The I/O, for the baton's holder.
    pub fn io(&self) -> MutexGuard<'_, Io> {
        self.lock_io()
    }
}

/// How long a turn may wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// Not at all, and no reading: a write for a command.
    No,
    /// Until input, a wake-up, the core's next timer or this instant.
    Until(Option<Instant>),
}

/// Holds the baton; dropping it writes what is left for the socket, then
/// lets the baton go and tells the waiters.
pub(crate) struct BatonGuard<'a>(&'a Shared);

impl Drop for BatonGuard<'_> {
    fn drop(&mut self) {
        let shared = self.0;
        loop {
            let mut st = shared.lock();
            // Bytes a command left while this thread held the baton would
            // otherwise wait for the next holder.
            if st.core.has_transmit() || st.opened.is_some() {
                drop(st);
                shared.turn(&mut shared.lock_io(), Wait::No, false);
                continue;
            }
            st.baton = Baton::Free;
            if st.waiters > 0 {
                shared.changed.notify_all();
            }
            return;
        }
    }
}
