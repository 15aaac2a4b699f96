//! Errors of a client, whatever adapter drives it.
//!
//! Who caused them: the caller ([`Error::Session`] refusals, invalid
//! topics, strings and URLs, a loop already running), the network or the
//! broker ([`Error::Io`], [`Error::Tls`], [`Error::WebSocket`],
//! [`Error::Refused`], [`Error::ConnectionLost`], [`Error::Timeout`]).
//! Errors about a connection name its endpoint (`host:port`).

use crate::layers::{LayerError, TlsError, WsError};
use mqtt_proto::{ConnAckProperties, ReasonCode, TopicError};
use std::io;
use std::sync::Arc;

/// Why a client call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
#[doc(alias = "MQTTErrorCode")]
#[doc(alias = "error_string")]
pub enum Error {
    /// The engine refused the command (queue full, limit of the server, not connected ...).
    #[error(transparent)]
    Session(#[from] mqtt_session::Error),
    /// A topic name or filter is not valid.
    #[error("invalid topic: {0}")]
    Topic(#[from] TopicError),
    /// A string field is not a valid MQTT string.
    #[error("invalid string: {0}")]
    String(#[from] mqtt_proto::StringError),
    /// The transport could not be opened or failed; the message names the
    /// endpoint (`host:port: Connection refused`).
    #[error("transport: {0}")]
    Io(Arc<io::Error>),
    /// TLS failed: an untrusted, expired or wrong-name certificate, a
    /// missing client certificate, unreadable CA or key files ...
    #[error("{0}")]
    Tls(TlsError),
    /// The WebSocket upgrade was refused or the WebSocket protocol broken.
    #[error("{0}")]
    WebSocket(WsError),
    /// The server refused the connection.
    #[error("connection refused: {reason}")]
    Refused {
        /// The reason code (3.x return codes mapped onto 5.0).
        reason: ReasonCode,
        /// CONNACK properties (reason string, server reference ...).
        properties: Box<ConnAckProperties>,
    },
    /// The connection ended before the operation completed.
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// The broker resumed a session this client knows nothing of (clean
    /// session off, no stored state), and the policy is to close
    /// ([`mqtt_session::UnknownSessionPolicy::Close`], 5.0's rule): keep the
    /// session in a store, connect once with a clean start, or adopt it.
    #[error(
        "the broker holds a session for this client id that this client has no state for; \
         use a session store, a clean start, or UnknownSessionPolicy::Adopt"
    )]
    UnknownSession,
    /// The session store failed: it could not be opened or read at start
    /// (damaged, another client's, not private ...), or could not keep a
    /// message (a full disk), which `publish` then refuses.
    #[error("{0}")]
    Store(Arc<crate::store::StoreError>),
    /// Options that contradict each other.
    #[error("invalid options: {0}")]
    InvalidArgument(&'static str),
    /// The operation did not complete in time.
    #[error("timed out")]
    Timeout,
    /// A URL that cannot be used.
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    /// Another thread already runs the network loop of this client.
    #[error("the network loop of this client is already running")]
    LoopAlreadyRunning,
    /// The call needs a connection and none is open.
    #[error("not connected")]
    NotConnected,
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(Arc::new(e))
    }
}

impl Error {
    /// The same error naming `endpoint` (`host:port`) if it is a TLS or
    /// WebSocket error of a connection that does not name one yet; other
    /// errors are returned as they are (transport errors are made with
    /// [`Error::io_at`], which names it).
    pub fn at(self, endpoint: &str) -> Self {
        match self {
            Self::Tls(e) => Self::Tls(e.at(endpoint)),
            Self::WebSocket(e) => Self::WebSocket(e.at(endpoint)),
            other => other,
        }
    }

    /// An I/O error of the connection to `endpoint`, naming it.
    pub fn io_at(endpoint: &str, e: io::Error) -> Self {
        let typed = Self::from(e);
        match typed {
            Self::Io(e) => Self::Io(Arc::new(io::Error::new(
                e.kind(),
                format!("{endpoint}: {e}"),
            ))),
            other => other.at(endpoint),
        }
    }
}

impl From<io::Error> for Error {
    /// TLS and WebSocket errors travel inside `io::Error` through the
    /// layers; they come out as their own variants.
    fn from(e: io::Error) -> Self {
        if let Some(inner) = e.get_ref() {
            if let Some(tls) = inner.downcast_ref::<TlsError>() {
                return Self::Tls(tls.clone());
            }
            if let Some(ws) = inner.downcast_ref::<WsError>() {
                return Self::WebSocket(ws.clone());
            }
        }
        Self::Io(Arc::new(e))
    }
}

impl From<LayerError> for Error {
    fn from(e: LayerError) -> Self {
        match e {
            LayerError::Tls(e) => Self::Tls(e),
            LayerError::WebSocket(e) => Self::WebSocket(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_name_the_endpoint_and_keep_their_kind() {
        let e = Error::io_at(
            "127.0.0.1:1",
            io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused"),
        );
        let Error::Io(io) = &e else { panic!("{e:?}") };
        assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(e.to_string(), "transport: 127.0.0.1:1: Connection refused");
    }
}
