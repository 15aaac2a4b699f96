//! The network side of a blocking client: the baton (which thread polls
//! and reads the socket), the pen (which thread writes it), what the
//! baton's holder does in one turn, and how other threads hand it work or
//! wait. The crate documentation describes the model; this module is its
//! code.

use crate::connector::{Connector, Socket};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use mqtt_client::{ClientCore, ClientEvent, Closing, Error, Outbox};
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// The waker's token in the poll.
const WAKE: Token = Token(0);
/// The socket's token in the poll.
const SOCKET: Token = Token(1);
/// Bytes read per turn.
const READ_BUFFER: usize = 64 * 1024;

/// Who polls and reads the socket, installs and closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Baton {
    /// Nobody: the next thread with work for the socket takes it.
    Free,
    /// One thread. `polling`: it sleeps (or is about to) in poll and must
    /// be woken for work only it can do; otherwise it looks at the core
    /// again before it sleeps or lets go.
    Held { by: ThreadId, polling: bool },
}

/// Everything behind the client's one lock.
pub(crate) struct State {
    pub core: ClientCore,
    pub baton: Baton,
    /// A thread holds the pen: it took bytes from the core and is writing
    /// them with no lock held. Only the pen's holder takes bytes from the
    /// core, and it takes what came meanwhile before it puts the pen down,
    /// so bytes reach the socket in the order the engine made them.
    pub pen: bool,
    /// The socket did not take all the pen's holder had: the rest waits in
    /// the pen's outbox for writability, which wakes the baton's holder.
    pub write_blocked: bool,
    /// A write failed; the baton's holder reports it after a last read (the
    /// reason, a TLS alert, may be waiting there).
    pub write_failed: Option<io::Error>,
    /// A socket a thread without the baton opened (`connect`), for the
    /// holder to install.
    pub opened: Option<Arc<dyn Socket>>,
    /// The thread of `loop_start` or `loop_forever`, while one runs: it
    /// holds the baton, and callbacks run on it.
    pub loop_owner: Option<ThreadId>,
    /// Counts `loop_stop` calls: a loop ends when it changes.
    pub loop_epoch: u64,
    /// Threads waiting on [`Shared::changed`].
    pub waiters: usize,
    /// Events whose callbacks have run (or are being run by the holder).
    pub dispatched: u64,
    /// Opens the sockets, within `connect_timeout`; replaced by
    /// `reinitialise` unless the application gave its own (`custom_connector`).
    pub connector: Arc<dyn Connector>,
    pub connect_timeout: Duration,
    /// [`mqtt_client::ClientOptions::batch_window`].
    pub batch_window: Duration,
    pub custom_connector: bool,
    /// Whether `loop_forever` retries a failed first connection (the
    /// option; `loop_forever_with` overrides it for one loop).
    pub retry_first_connection: bool,
}

/// The reading side, used only by the baton's holder (so its mutex is
/// never contended): the poll, the socket's registration, the buffer.
pub(crate) struct Io {
    poll: Poll,
    events: Events,
    socket: Option<Arc<dyn Socket>>,
    /// The last read filled the buffer: more may wait in the socket.
    read_more: bool,
    /// After the last read, the core judged that the broker streams
    /// ([`ClientCore::streaming`]).
    streaming: bool,
    buf: Box<[u8]>,
}

/// The writing side, used only by the pen's holder, and by the baton's
/// holder to install or close the socket while nobody holds the pen.
#[derive(Default)]
pub(crate) struct Out {
    socket: Option<Arc<dyn Socket>>,
    /// Bytes taken from the core that the socket has not accepted yet.
    unsent: Outbox,
}

/// A blocking client's network state. See the crate documentation.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    /// Signalled, when a thread waits on it, after a message handle
    /// settled, the baton was let go, an attempt was decided or events
    /// were dispatched.
    pub changed: Condvar,
    pub io: Mutex<Io>,
    pub out: Mutex<Out>,
    /// Wakes the baton's holder out of poll.
    pub waker: mio::Waker,
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
                read_more: false,
                streaming: false,
                buf: vec![0; READ_BUFFER].into_boxed_slice(),
            },
            waker,
        ))
    }

    /// One read into the buffer.
    fn read(&mut self) -> Input {
        self.read_more = false;
        let Some(socket) = self.socket.as_ref() else {
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

    fn forget(&mut self) {
        if let Some(socket) = self.socket.take() {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&socket.as_raw_fd()));
        }
        self.read_more = false;
    }
}

/// Writes through a shared socket reference.
struct Writer<'a>(&'a dyn Socket);

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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

    /// The reading side, for the baton's holder.
    pub fn io(&self) -> MutexGuard<'_, Io> {
        lock(&self.io)
    }

    /// After a command changed the core, on whatever thread: settles
    /// handles, writes what the command produced (this thread takes the
    /// pen if nobody holds it), and hands the baton's holder what only it
    /// can do, waking it if it sleeps. With nobody holding the baton, this
    /// thread takes it for the turn (to install or close the transport).
    /// Inside a callback, the loop running it writes once it returns.
    pub fn after_command<'a>(&'a self, mut st: MutexGuard<'a, State>) {
        let me = thread::current().id();
        // The holder sleeps until input comes. With nothing in flight no
        // input is due, and waking it would be the whole latency of a
        // lone message: this thread writes. With messages in flight, it
        // is woken and writes: by then more may have come, and it takes
        // them in one write.
        let holder_sleeps = matches!(st.baton, Baton::Held { by, polling: true } if by != me);
        if holder_sleeps && st.core.session().state().inflight.is_empty() {
            st = self.write_out(st);
        }
        let notify = self.settle(&mut st);
        let act = match st.baton {
            Baton::Held { by, .. } if by == me => None,
            Baton::Free if self.holder_work(&st) || self.unwritten(&st) => {
                st.baton = Baton::Held {
                    by: me,
                    polling: false,
                };
                Some(true)
            }
            Baton::Held { by, polling: true } if self.holder_work(&st) || self.unwritten(&st) => {
                st.baton = Baton::Held { by, polling: false };
                Some(false)
            }
            _ => None,
        };
        drop(st);
        self.notify(notify);
        match act {
            Some(true) => {
                let _baton = BatonGuard(self);
                self.turn(&mut self.io(), Wait::No, false);
            }
            Some(false) => self.wake(),
            None => {}
        }
    }

    /// Whether bytes wait that nobody is about to write: not held by the
    /// pen's holder, not waiting for writability.
    fn unwritten(&self, st: &State) -> bool {
        st.core.has_transmit() && !st.pen && !st.write_blocked
    }

    /// Whether the baton's holder has something to do beyond waiting for
    /// input: a transport to install or close, a failed write to report,
    /// events for a loop to dispatch.
    fn holder_work(&self, st: &State) -> bool {
        st.opened.is_some()
            || st.write_failed.is_some()
            || (st.core.closing() != Closing::No && !st.write_blocked)
            || (st.loop_owner.is_some() && st.core.has_events())
    }

    pub fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            log::error!("cannot wake the network thread: {e}");
        }
    }

    /// Delivers the handles the core settled; whether waiters must be
    /// told, which the caller does once it let go of the lock (a waiter
    /// woken under it would only block on it again).
    fn settle(&self, st: &mut State) -> bool {
        if !st.core.has_settled() {
            return false;
        }
        for s in st.core.take_settled() {
            s.deliver();
        }
        st.waiters > 0
    }

    /// Wakes the waiters if `notify`, with no lock held.
    fn notify(&self, notify: bool) {
        if notify {
            self.changed.notify_all();
        }
    }

    /// Writes what the core has for the socket, if nobody holds the pen:
    /// takes it, writes with no lock held, and before putting it down
    /// takes what came meanwhile. Returns with the lock held again.
    fn write_out<'a>(&'a self, mut st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        if st.pen || !(st.core.has_transmit() || st.write_blocked) {
            return st;
        }
        st.pen = true;
        loop {
            let bytes = st.core.take_transmit(Instant::now());
            drop(st);
            let (written, blocked) = {
                let mut out = lock(&self.out);
                let out = &mut *out;
                if let Some(bytes) = bytes {
                    out.unsent.push(bytes);
                }
                let written = match out.socket.as_deref() {
                    Some(socket) => out.unsent.write_to(&mut Writer(socket)),
                    None => {
                        out.unsent.clear();
                        mqtt_client::Written {
                            bytes: 0,
                            error: None,
                        }
                    }
                };
                (written, !out.unsent.is_empty())
            };
            st = self.lock();
            st.core.transmitted(written.bytes);
            st.write_blocked = blocked;
            if let Some(e) = written.error {
                st.write_failed.get_or_insert(e);
                break;
            }
            if blocked || !st.core.has_transmit() {
                break;
            }
        }
        st.pen = false;
        st
    }

    /// One turn of the baton's holder: install a new transport or close
    /// the old, wait for input, a timer or a wake-up (at most until
    /// `wait`'s instant; not at all, and no reading, for [`Wait::No`]),
    /// read, feed the core, write what it produced. Returns the events
    /// for the callbacks if `dispatch`, else leaves them in the core.
    pub fn turn(&self, io: &mut Io, wait: Wait, dispatch: bool) -> Vec<ClientEvent> {
        let me = thread::current().id();
        let mut gather = Duration::ZERO;
        let timeout = {
            let mut st = self.lock();
            let now = Instant::now();
            self.transport(&mut st, io, now);
            match wait {
                Wait::No => None,
                Wait::Until(until) => {
                    let timer = st.core.poll_timeout();
                    let busy = self.unwritten(&st)
                        || io.read_more
                        || st.write_failed.is_some()
                        || (st.core.closing() != Closing::No && !st.write_blocked)
                        || st.opened.is_some()
                        || (dispatch && st.core.has_events())
                        || timer.is_some_and(|t| t <= now);
                    if busy {
                        Some(Some(Duration::ZERO))
                    } else {
                        // Under a stream, input gathers for the batch
                        // window before the next read (see
                        // `ClientOptions::batch_window`).
                        let streaming = io.streaming || st.core.streaming(0);
                        if streaming {
                            gather = st.batch_window;
                        }
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
        if let Some(mut timeout) = timeout {
            if !gather.is_zero() {
                // A command meanwhile wakes the poll below (or, with nothing
                // in flight, writes itself): it waits at most the window.
                let nap = timeout.map_or(gather, |t| t.min(gather));
                if !nap.is_zero() {
                    thread::sleep(nap);
                    timeout = timeout.map(|t| t.saturating_sub(nap));
                }
            }
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
        let mut st = self.lock();
        st.baton = Baton::Held {
            by: me,
            polling: false,
        };
        let now = Instant::now();
        let received = st.core.packets_received();
        io.streaming = false;
        match read {
            Input::Nothing => {}
            Input::Data(n) => {
                st.core.handle_read(now, &io.buf[..n]);
                io.streaming = st.core.streaming(st.core.packets_received() - received);
            }
            Input::Eof => st.core.handle_read_eof(now),
            Input::Failed(e) => st.core.handle_transport_error(now, e),
        }
        if let Some(e) = st.write_failed.take() {
            // The reason may be waiting to be read (a TLS alert before the
            // peer closed): read it first, so that it is what is reported.
            if let Input::Data(n) = io.read() {
                st.core.handle_read(now, &io.buf[..n]);
            }
            st.core.handle_transport_error(now, e);
        }
        if st.core.poll_timeout().is_some_and(|t| t <= now) {
            st.core.handle_timeout(now);
        }
        st = self.write_out(st);
        self.transport(&mut st, io, Instant::now());
        let notify = self.settle(&mut st);
        let events = if dispatch {
            std::iter::from_fn(|| st.core.poll_event()).collect()
        } else {
            Vec::new()
        };
        drop(st);
        self.notify(notify);
        events
    }

    /// Closes the transport once the core ended it and its last bytes left
    /// (or at once, if it failed), then installs a socket another thread
    /// opened. Only while nobody holds the pen: its holder may be writing
    /// to the socket, and it wakes the baton's holder when done.
    fn transport(&self, st: &mut State, io: &mut Io, now: Instant) {
        if st.pen {
            return;
        }
        let close = match st.core.closing() {
            Closing::No => false,
            Closing::AfterWrites => !st.write_blocked,
            Closing::Now => true,
        };
        if close {
            self.close(st, io, now);
        }
        let Some(socket) = st.opened.take() else {
            return;
        };
        if st.core.has_transport() {
            // A `connect` or `reconnect` replaces the current connection.
            st.core
                .handle_transport_error(now, io::Error::other("replaced by a new connection"));
            self.close(st, io, now);
        }
        let registered = io.poll.registry().register(
            &mut SourceFd(&socket.as_raw_fd()),
            SOCKET,
            // Edge-triggered: reads go until the socket is drained, writes
            // until it is full, and a new edge comes after either.
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(e) = registered {
            let _ = socket.shutdown();
            st.core
                .open_failed(now, Error::io_at(st.core.endpoint(), e), false);
            return;
        }
        io.socket = Some(socket.clone());
        lock(&self.out).socket = Some(socket);
        if let Err(e) = st.core.transport_opened(now) {
            self.close(st, io, now);
            st.core.open_failed(now, e, false);
        }
    }

    /// Closes the socket and tells the core.
    fn close(&self, st: &mut State, io: &mut Io, now: Instant) {
        io.forget();
        let mut out = lock(&self.out);
        if let Some(socket) = out.socket.take() {
            let _ = socket.shutdown();
        }
        out.unsent.clear();
        drop(out);
        st.write_blocked = false;
        st.write_failed = None;
        st.core.transport_closed(now);
    }

    /// Puts `core` in place of the client's core (`reinitialise`), for the
    /// baton's holder: the transport closes at once, without DISCONNECT
    /// (as Paho's `reinitialise` drops its socket), the old core's events
    /// are dropped and the handles still waiting fail with `SessionLost`
    /// (but those `make` moved to the new core, which continues a stored
    /// session).
    /// Waits for a pen that another thread holds to be put down. The new
    /// core is made by `make` from the old one, under the lock, so that
    /// no command reaches the old core after the new one loaded the
    /// session; if `make` fails, nothing changes.
    pub fn replace_core(
        &self,
        io: &mut Io,
        make: impl FnOnce(&mut ClientCore) -> Result<ClientCore, Error>,
    ) -> Result<(), Error> {
        let mut st = self.lock();
        while st.pen {
            drop(st);
            thread::yield_now();
            st = self.lock();
        }
        let core = make(&mut st.core)?;
        io.forget();
        let mut out = lock(&self.out);
        if let Some(socket) = out.socket.take() {
            let _ = socket.shutdown();
        }
        out.unsent.clear();
        drop(out);
        if let Some(socket) = st.opened.take() {
            let _ = socket.shutdown();
        }
        st.write_blocked = false;
        st.write_failed = None;
        let old = std::mem::replace(&mut st.core, core);
        st.dispatched = 0;
        let notify = st.waiters > 0;
        for settled in old.into_abandoned() {
            settled.deliver();
        }
        drop(st);
        self.notify(notify);
        Ok(())
    }

    /// Counts `n` events as dispatched when the returned guard drops
    /// (also if a callback panics), and tells the waiters.
    pub fn dispatching(&self, n: usize) -> Dispatching<'_> {
        Dispatching(self, n as u64)
    }

    /// Opens a transport if the core wants one now. Blocking (DNS, TCP
    /// connect), outside the lock; the holder installs it next turn.
    pub fn reconnect_if_due(&self) {
        let (connector, timeout) = {
            let st = self.lock();
            if !st.core.wants_open(Instant::now()) {
                return;
            }
            (st.connector.clone(), st.connect_timeout)
        };
        let opened = connector.connect(timeout);
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
        dispatch: &dyn Fn(Vec<ClientEvent>),
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
                    self.turn(&mut self.io(), Wait::Until(deadline), false);
                    st = self.lock();
                }
                Baton::Free if st.loop_owner.is_none() => {
                    st.baton = Baton::Held {
                        by: me,
                        polling: false,
                    };
                    drop(st);
                    let baton = BatonGuard(self);
                    loop {
                        let events = self.turn(&mut self.io(), Wait::Until(deadline), true);
                        dispatch(events);
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
}

impl Drop for Shared {
    /// The last handle is gone: the transport closes at once, without
    /// DISCONNECT (so the broker publishes the will).
    fn drop(&mut self) {
        let out = self.out.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(socket) = out.socket.take() {
            let _ = socket.shutdown();
        }
    }
}

/// Counts dispatched events on drop: see [`Shared::dispatching`].
pub(crate) struct Dispatching<'a>(&'a Shared, u64);

impl Drop for Dispatching<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        // What the callbacks sent (a subscribe in on_connect) is on the
        // wire before anyone waiting hears they ran: `connect` returns
        // with it written, not queued for a later turn of the loop.
        st = self.0.write_out(st);
        st.dispatched += self.1;
        let notify = st.waiters > 0;
        drop(st);
        self.0.notify(notify);
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

/// Holds the baton; dropping it finishes what is left for the socket (a
/// command's bytes, a close, a new socket), then lets the baton go and
/// tells the waiters.
pub(crate) struct BatonGuard<'a>(&'a Shared);

impl Drop for BatonGuard<'_> {
    fn drop(&mut self) {
        let shared = self.0;
        loop {
            let mut st = shared.lock();
            let leftover = shared.unwritten(&st)
                || st.opened.is_some()
                || (st.core.closing() != Closing::No && !st.write_blocked);
            if leftover && !st.pen {
                drop(st);
                shared.turn(&mut shared.io(), Wait::No, false);
                continue;
            }
            st.baton = Baton::Free;
            let notify = st.waiters > 0;
            drop(st);
            shared.notify(notify);
            return;
        }
    }
}
