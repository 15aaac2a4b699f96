//! Sans-IO stream layers: TLS ([`TlsLayer`], rustls) and WebSocket
//! ([`WsLayer`], tungstenite) as byte transformers with no socket inside.
//!
//! A layer takes *wire* bytes (what travels below it, towards the socket)
//! and gives *plaintext* (what travels above it, towards the MQTT engine),
//! and the reverse. The caller owns the socket and decides when to read and
//! write, so the same layers serve every adapter: [`crate::ClientCore`]
//! keeps a [`Stack`] per connection, built by a [`LayerSetup`]. Layers
//! compose in a [`Stack`]: `wss://` is TLS below WebSocket.
//!
//! ```text
//!   socket ──read_wire──▶ TLS ──▶ WebSocket ──take_plaintext──▶ engine
//!   socket ◀──take_wire── TLS ◀── WebSocket ◀─write_plaintext── engine
//! ```
//!
//! A driver's loop, whatever its I/O model:
//!
//! 1. after creating the stack and after every call, write out what
//!    [`StreamLayer::take_wire`] gives (the TLS ClientHello and the HTTP
//!    upgrade request come out before any plaintext goes in);
//! 2. feed every socket read to [`StreamLayer::read_wire`] (and the end of
//!    the stream to [`StreamLayer::read_eof`]), then hand
//!    [`StreamLayer::take_plaintext`] to the engine;
//! 3. give the engine's output to [`StreamLayer::write_plaintext`]; it may
//!    be written while [`StreamLayer::is_handshaking`] and goes out once the
//!    handshakes are done.
//!
//! An error from `read_wire` or `write_plaintext` is fatal for the
//! connection; the layer may still have wire bytes to send (a TLS alert, a
//! WebSocket close frame), so write out `take_wire` before closing.

mod setup;
mod stack;
mod tls;
mod ws;

pub use setup::{LayerError, LayerSetup};
pub use stack::{Stack, StreamLayer};
pub use tls::{TlsError, TlsErrorKind, TlsLayer, TlsOptions, TlsVersion};
pub use ws::{WsError, WsErrorKind, WsLayer, WsOptions};
