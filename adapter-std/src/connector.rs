//! How the blocking client opens a byte stream to the broker.
//!
//! A [`Connector`] opens a [`Socket`]: connected, non-blocking, and
//! pollable. The client's network thread alone reads, writes and closes
//! it; the TLS and WebSocket layers run above it in the client core, so a
//! custom connector (a SOCKS or HTTP CONNECT tunnel, a Unix socket) gets
//! them too.

use mqtt_client::{ClientOptions, Error};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connected, non-blocking stream: the thread holding the client's
/// baton polls and reads it, the thread holding its pen writes it, both
/// through a shared reference (as `&TcpStream` reads and writes).
pub trait Socket: AsRawFd + Send + Sync + std::fmt::Debug {
    /// Reads what is there, or fails with `WouldBlock`.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes what fits, or fails with `WouldBlock`.
    fn write(&self, buf: &[u8]) -> io::Result<usize>;
    /// Shuts both directions down: the peer sees the end of the stream.
    fn shutdown(&self) -> io::Result<()>;
}

impl Socket for mio::net::TcpStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }
    fn shutdown(&self) -> io::Result<()> {
        mio::net::TcpStream::shutdown(self, std::net::Shutdown::Both)
    }
}

impl Socket for mio::net::UnixStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }
    fn shutdown(&self) -> io::Result<()> {
        mio::net::UnixStream::shutdown(self, std::net::Shutdown::Both)
    }
}

/// Opens sockets to a broker.
#[doc(alias = "on_pre_connect")]
#[doc(alias = "proxy_set")]
pub trait Connector: Send + Sync {
    /// Opens a new connected, non-blocking socket; `timeout` bounds the
    /// opening. Errors should name the endpoint.
    fn connect(&self, timeout: Duration) -> Result<Arc<dyn Socket>, Error>;
}

/// Plain TCP, with TCP_NODELAY and an optional local bind address.
#[derive(Debug, Clone)]
pub struct TcpConnector {
    host: String,
    port: u16,
    endpoint: String,
    nodelay: bool,
    bind: Option<SocketAddr>,
}

impl TcpConnector {
    /// A connector with the address and socket options of `options`.
    pub fn new(options: &ClientOptions) -> Self {
        Self {
            host: options.host().to_string(),
            port: options.port(),
            endpoint: options.endpoint(),
            nodelay: options.nodelay(),
            bind: options.bind_address_value(),
        }
    }

    /// Opens a blocking `std::net::TcpStream` (every address the host
    /// resolves to, in turn, within `timeout`).
    pub fn open(&self, timeout: Duration) -> io::Result<std::net::TcpStream> {
        let deadline = Instant::now() + timeout;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "host resolved to no address");
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
            }
            match self.connect_addr(addr, left) {
                Ok(stream) => {
                    stream.set_nodelay(self.nodelay)?;
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn connect_addr(&self, addr: SocketAddr, timeout: Duration) -> io::Result<std::net::TcpStream> {
        let Some(bind) = self.bind else {
            return std::net::TcpStream::connect_timeout(&addr, timeout);
        };
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.bind(&bind.into())?;
        socket.connect_timeout(&addr.into(), timeout)?;
        Ok(socket.into())
    }
}

impl Connector for TcpConnector {
    fn connect(&self, timeout: Duration) -> Result<Arc<dyn Socket>, Error> {
        let opened = self.open(timeout).and_then(|stream| {
            stream.set_nonblocking(true)?;
            Ok(mio::net::TcpStream::from_std(stream))
        });
        match opened {
            Ok(stream) => Ok(Arc::new(stream)),
            Err(e) => Err(Error::io_at(&self.endpoint, e)),
        }
    }
}
