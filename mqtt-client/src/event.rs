//! What a client core reports to its adapter's callbacks.

use crate::error::Error;
use mqtt_session::Event;

/// Something a callback should hear about, in the order it happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The engine reported it (connected, a message, a completion ...).
    Engine(Event),
    /// A transport could not be opened (on_connect_fail).
    ConnectFailed(Error),
}
