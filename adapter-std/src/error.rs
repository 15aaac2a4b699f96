//! Errors of the blocking client.

use mqtt_proto::{ConnAckProperties, ReasonCode, TopicError};
use std::io;
use std::sync::Arc;

/// Why a client call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
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
    /// The transport could not be opened or failed.
    #[error("transport: {0}")]
    Io(Arc<io::Error>),
    /// TLS failed: an untrusted, expired or wrong-name certificate, a
    /// missing client certificate, unreadable CA or key files ...
    #[error("{0}")]
    Tls(crate::layers::TlsError),
    /// The WebSocket upgrade was refused or the WebSocket protocol broken.
    #[error("{0}")]
    WebSocket(crate::layers::WsError),
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

impl From<io::Error> for Error {
    /// TLS and WebSocket errors travel inside `io::Error` through the
    /// transport seam; they come out as their own variants.
    fn from(e: io::Error) -> Self {
        if let Some(inner) = e.get_ref() {
            if let Some(tls) = inner.downcast_ref::<crate::layers::TlsError>() {
                return Self::Tls(tls.clone());
            }
            if let Some(ws) = inner.downcast_ref::<crate::layers::WsError>() {
                return Self::WebSocket(ws.clone());
            }
        }
        Self::Io(Arc::new(e))
    }
}
