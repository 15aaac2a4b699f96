//! The transport seam: how a client opens a byte stream to the broker.
//!
//! A [`Connector`] opens a [`Link`]: a read half the client's reader thread
//! owns, a write half the client writes through (one writer at a time, in
//! order), and a way to shut both down so a blocked read returns. Plain TCP
//! is [`TcpConnector`]; TLS and WebSocket connectors split their shared
//! protocol state the same way.

use crate::options::ClientOptions;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// An open byte stream to the broker, split for a reader thread and writers.
pub struct Link {
    /// Bytes from the broker. A read returning 0 means the broker closed.
    pub reader: Box<dyn Read + Send>,
    /// Bytes to the broker.
    pub writer: Box<dyn Write + Send>,
    /// Closes the stream so that a blocked `read` returns.
    pub shutdown: Box<dyn Fn() + Send + Sync>,
}

/// Opens links to a broker.
pub trait Connector: Send + Sync {
    /// Opens a new link; `timeout` bounds the whole opening (connect and any handshake).
    fn connect(&self, timeout: Duration) -> io::Result<Link>;
}

/// Plain TCP, with TCP_NODELAY and an optional local bind address.
#[derive(Debug, Clone)]
pub struct TcpConnector {
    host: String,
    port: u16,
    nodelay: bool,
    bind: Option<SocketAddr>,
}

impl TcpConnector {
    /// A connector with the address and socket options of `options`.
    pub fn new(options: &ClientOptions) -> Self {
        Self {
            host: options.host.clone(),
            port: options.port,
            nodelay: options.tcp_nodelay,
            bind: options.bind_address,
        }
    }

    /// Opens the TCP stream alone (for connectors that layer TLS or WebSocket on it).
    pub fn open(&self, timeout: Duration) -> io::Result<TcpStream> {
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

    fn connect_addr(&self, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        let Some(bind) = self.bind else {
            return TcpStream::connect_timeout(&addr, timeout);
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
    fn connect(&self, timeout: Duration) -> io::Result<Link> {
        let stream = self.open(timeout)?;
        let reader = stream.try_clone()?;
        let closer = stream.try_clone()?;
        Ok(Link {
            reader: Box::new(reader),
            writer: Box::new(stream),
            shutdown: Box::new(move || {
                let _ = closer.shutdown(Shutdown::Both);
            }),
        })
    }
}
