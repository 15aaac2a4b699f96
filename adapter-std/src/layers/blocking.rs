//! The layers over a blocking `std::net::TcpStream`, as a [`Link`].
//!
//! The handshakes run in [`Connector::connect`], bounded by its timeout.
//! Then the reader thread owns a clone of the socket for reading, and
//! writers (any thread) share the layers and a clone for writing:
//!
//! - the layers sit behind one short lock, never held during socket I/O,
//!   so a writer blocked on a full socket does not stop the reader from
//!   decrypting (which could otherwise deadlock against a peer that stops
//!   reading while its own writes are blocked);
//! - wire bytes are appended to one queue under that lock, in the order the
//!   layers produced them (TLS records carry sequence numbers), and written
//!   out by whoever holds the socket's lock, so they reach the socket in
//!   that order whichever thread made them (a pong made by the reader
//!   thread, a PUBLISH by a writer);
//! - when the peer is gone, the reader thread reports it, not the writer:
//!   a server refusing the client certificate sends its alert and closes,
//!   and the CONNECT written meanwhile fails with a reset, or with the
//!   error state the alert left in the TLS layer, neither of which says
//!   why. A failed write is noted, the read side is given a deadline, and
//!   the reader returns the alert, the end of stream, or that failure.

use super::{Stack, StreamLayer, TlsLayer, TlsOptions, WsLayer, WsOptions};
use crate::error::Error;
use crate::options::ClientOptions;
use crate::transport::{Connector, Link, TcpConnector};
use crate::url::Scheme;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Opens TCP, then TLS and/or WebSocket over it, as the URL scheme says:
/// `mqtts://` TLS, `ws://` WebSocket, `wss://` WebSocket over TLS.
///
/// [`crate::ClientOptions`] makes one when the scheme needs it; build one
/// yourself to use it with another client.
pub struct LayeredConnector {
    tcp: TcpConnector,
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ws: Option<WsSetup>,
}

struct WsSetup {
    options: WsOptions,
    host: String,
    port: u16,
    secure: bool,
}

impl std::fmt::Debug for LayeredConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayeredConnector")
            .field("tcp", &self.tcp)
            .field("tls", &self.tls.as_ref().map(|(_, name)| name))
            .field("websocket", &self.ws.as_ref().map(|w| &w.options))
            .finish()
    }
}

impl LayeredConnector {
    /// A connector for the scheme, address, TLS and WebSocket options of
    /// `options`. Reads the CA file, the system's roots and the client
    /// certificate now, so that their errors come at once.
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        let scheme = options.scheme;
        let tls = if matches!(scheme, Scheme::Mqtts | Scheme::Wss) {
            Some(Self::tls_setup(&options.tls, &options.host)?)
        } else {
            None
        };
        let ws = matches!(scheme, Scheme::Ws | Scheme::Wss).then(|| WsSetup {
            options: options.websocket.clone(),
            host: options.host.clone(),
            port: options.port,
            secure: scheme == Scheme::Wss,
        });
        if let Some(ws) = &ws {
            // An invalid header or path fails here rather than at each connect.
            ws.options
                .request(&ws.host, ws.port, ws.secure)
                .map_err(Error::WebSocket)?;
        }
        Ok(Self {
            tcp: TcpConnector::new(options),
            tls,
            ws,
        })
    }

    fn tls_setup(
        tls: &TlsOptions,
        host: &str,
    ) -> Result<(Arc<ClientConfig>, ServerName<'static>), Error> {
        let config = tls.client_config().map_err(Error::Tls)?;
        let name = tls.server_name_for(host).map_err(Error::Tls)?;
        Ok((config, name))
    }

    /// The layers of one connection, bottom first.
    pub fn layers(&self) -> io::Result<Vec<Box<dyn StreamLayer>>> {
        let mut layers: Vec<Box<dyn StreamLayer>> = Vec::new();
        if let Some((config, name)) = &self.tls {
            let layer = TlsLayer::new(config.clone(), name.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            layers.push(Box::new(layer));
        }
        if let Some(ws) = &self.ws {
            let request = ws
                .options
                .request(&ws.host, ws.port, ws.secure)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let layer = WsLayer::new(request)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            layers.push(Box::new(layer));
        }
        Ok(layers)
    }
}

impl Connector for LayeredConnector {
    fn connect(&self, timeout: Duration) -> io::Result<Link> {
        let deadline = Instant::now() + timeout;
        let socket = self.tcp.open(timeout)?;
        let mut stack = Stack::new(self.layers()?)?;
        handshake(&socket, &mut stack, deadline)?;
        socket.set_read_timeout(None)?;
        socket.set_write_timeout(None)?;
        split(socket, stack)
    }
}

fn remaining(deadline: Instant, stack: &Stack) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{} handshake timed out",
                stack.handshaking_layer().unwrap_or("transport")
            ),
        ));
    }
    Ok(left)
}

/// Runs the handshakes of `stack` over `socket`, blocking until done or `deadline`.
fn handshake(socket: &TcpStream, stack: &mut Stack, deadline: Instant) -> io::Result<()> {
    let mut wire = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut socket = socket;
    loop {
        stack.take_wire(&mut wire);
        if !wire.is_empty() {
            socket.set_write_timeout(Some(remaining(deadline, stack)?))?;
            if let Err(e) = socket.write_all(&wire) {
                return Err(explain_write_failure(socket, stack, e));
            }
            wire.clear();
        }
        if !stack.is_handshaking() {
            return Ok(());
        }
        socket.set_read_timeout(Some(remaining(deadline, stack)?))?;
        let n = match socket.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A reset mid-handshake is an end of stream the layer can
            // explain (not a TLS listener, an unknown subprotocol ...).
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                stack.read_eof()?;
                return Err(e);
            }
            Err(e) => return Err(timed_out(e, stack)),
        };
        let fed = if n == 0 {
            stack.read_eof()
        } else {
            stack.read_wire(&buf[..n])
        };
        if let Err(e) = fed {
            // The alert or close frame that explains the failure to the peer.
            stack.take_wire(&mut wire);
            let _ = socket.write_all(&wire);
            return Err(e);
        }
        if n == 0 {
            // read_eof accepted the end: nothing more will come.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection during the handshake",
            ));
        }
    }
}

/// A handshake write failed because the peer is gone; its reason (a TLS
/// alert) may be waiting in the socket, and says more than a reset.
fn explain_write_failure(mut socket: &TcpStream, stack: &mut Stack, e: io::Error) -> io::Error {
    if !matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    ) {
        return timed_out(e, stack);
    }
    let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return stack.read_eof().err().unwrap_or(e),
            Ok(n) => {
                if let Err(reason) = stack.read_wire(&buf[..n]) {
                    return reason;
                }
            }
            Err(_) => return e,
        }
    }
}

fn timed_out(e: io::Error, stack: &Stack) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{} handshake timed out",
                stack.handshaking_layer().unwrap_or("transport")
            ),
        ),
        _ => e,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The layers and the wire bytes they produced, not yet written.
struct Layers {
    stack: Stack,
    queued: Vec<u8>,
}

impl Layers {
    fn queue_wire(&mut self) {
        self.stack.take_wire(&mut self.queued);
    }
}

/// The socket's write side, and a buffer swapped with [`Layers::queued`].
struct SocketWriter {
    socket: TcpStream,
    spare: Vec<u8>,
}

struct Shared {
    layers: Mutex<Layers>,
    writer: Mutex<SocketWriter>,
    /// The write error that showed the peer was gone (kind, message).
    write_failed: Mutex<Option<(io::ErrorKind, String)>>,
    /// The reader met the end of the stream or an error, and reports it.
    read_ended: AtomicBool,
}

/// How long the reader may still wait for the peer's last words (an alert,
/// a close frame) after a write found the connection gone.
const LAST_WORDS: Duration = Duration::from_secs(2);

impl Shared {
    /// Writes every queued wire byte, in order. Takes the socket lock, then
    /// the layers' lock briefly for each batch (always in that order).
    fn drain(&self) -> io::Result<()> {
        let mut w = lock(&self.writer);
        let w = &mut *w;
        loop {
            w.spare.clear();
            std::mem::swap(&mut lock(&self.layers).queued, &mut w.spare);
            if w.spare.is_empty() {
                return Ok(());
            }
            if lock(&self.write_failed).is_some() {
                continue;
            }
            if let Err(e) = w.socket.write_all(&w.spare) {
                if !matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                ) {
                    return Err(e);
                }
                // The reader thread reports the end, with the peer's reason
                // if it sent one; the deadline keeps it from waiting forever.
                let _ = w.socket.set_read_timeout(Some(LAST_WORDS));
                *lock(&self.write_failed) = Some((e.kind(), e.to_string()));
            }
        }
    }

    fn write_failure(&self) -> Option<io::Error> {
        lock(&self.write_failed)
            .as_ref()
            .map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }
}

fn split(socket: TcpStream, mut stack: Stack) -> io::Result<Link> {
    let mut pending = Vec::new();
    // Bytes that arrived with the end of the handshake.
    stack.take_plaintext(&mut pending);
    let reader_socket = socket.try_clone()?;
    let closer = socket.try_clone()?;
    let shared = Arc::new(Shared {
        layers: Mutex::new(Layers {
            stack,
            queued: Vec::new(),
        }),
        writer: Mutex::new(SocketWriter {
            socket,
            spare: Vec::new(),
        }),
        write_failed: Mutex::new(None),
        read_ended: AtomicBool::new(false),
    });
    let reader = LayeredReader {
        socket: reader_socket,
        shared: shared.clone(),
        pending,
        at: 0,
        buf: vec![0u8; 64 * 1024],
        eof: false,
    };
    let writer = LayeredWriter {
        shared: shared.clone(),
    };
    Ok(Link {
        reader: Box::new(reader),
        writer: Box::new(writer),
        shutdown: Box::new(move || close(&shared, &closer)),
    })
}

/// A courtesy close (close frame, close_notify) if no writer is busy,
/// then the socket's shutdown, which also ends a blocked read.
fn close(shared: &Shared, socket: &TcpStream) {
    if let Ok(mut layers) = shared.layers.try_lock() {
        layers.stack.close();
        layers.queue_wire();
    }
    if let Ok(mut w) = shared.writer.try_lock() {
        // Never block the caller (it may hold the client's locks).
        let _ = w.socket.set_write_timeout(Some(Duration::from_millis(100)));
        let queued = shared
            .layers
            .try_lock()
            .map(|mut l| std::mem::take(&mut l.queued));
        if let Ok(queued) = queued {
            let _ = w.socket.write_all(&queued);
        }
    }
    let _ = socket.shutdown(Shutdown::Both);
}

/// The reader thread's half: reads the socket, decodes under the lock.
struct LayeredReader {
    socket: TcpStream,
    shared: Arc<Shared>,
    pending: Vec<u8>,
    at: usize,
    buf: Vec<u8>,
    eof: bool,
}

impl Read for LayeredReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at < self.pending.len() {
                let n = out.len().min(self.pending.len() - self.at);
                out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            self.pending.clear();
            self.at = 0;
            if self.eof || out.is_empty() {
                return Ok(0);
            }
            let n = match self.socket.read(&mut self.buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    // Only a failed write sets a read deadline.
                    return Err(self.shared.write_failure().unwrap_or(e));
                }
                Err(e) => return Err(e),
            };
            let (fed, wrote) = {
                let mut layers = lock(&self.shared.layers);
                let fed = if n == 0 {
                    layers.stack.read_eof()
                } else {
                    layers.stack.read_wire(&self.buf[..n])
                };
                layers.stack.take_plaintext(&mut self.pending);
                if n == 0 || layers.stack.is_closed() {
                    self.eof = true;
                }
                if self.eof || fed.is_err() {
                    self.shared.read_ended.store(true, Ordering::Release);
                }
                layers.queue_wire();
                (fed, !layers.queued.is_empty())
            };
            if wrote {
                // A pong, a close reply or an alert: a failed write shows
                // up at the next read or write, no need to fail this read.
                let _ = self.shared.drain();
            }
            fed?;
        }
    }
}

/// A writer's half: encodes under the lock, then writes the queue.
struct LayeredWriter {
    shared: Arc<Shared>,
}

impl Write for LayeredWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        {
            let mut layers = lock(&self.shared.layers);
            let written = layers.stack.write_plaintext(data);
            layers.queue_wire();
            if let Err(e) = written {
                if !self.shared.read_ended.load(Ordering::Acquire) {
                    return Err(e);
                }
                // The reader's error (an alert) explains this one.
            }
        }
        self.shared.drain()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.shared.drain()
    }
}
