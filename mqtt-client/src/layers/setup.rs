//! How the layers of each new connection are built: once per client, from
//! its options, so that unreadable certificate files or an invalid
//! WebSocket header fail when the client is made, not at every connect.

use super::stack::{Stack, StreamLayer};
use super::tls::{TlsError, TlsLayer, TlsOptions};
use super::ws::{WsError, WsLayer, WsOptions};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::sync::Arc;

/// Why the layers of a connection could not be set up.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LayerError {
    /// The TLS options cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The WebSocket options cannot be used.
    #[error(transparent)]
    WebSocket(#[from] WsError),
}

/// The TLS and WebSocket layers a connection to one broker needs, bottom
/// (next to the socket) first: TLS for `mqtts://`, WebSocket for `ws://`,
/// both for `wss://`.
pub struct LayerSetup {
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ws: Option<WsSetup>,
}

struct WsSetup {
    options: WsOptions,
    host: String,
    port: u16,
    secure: bool,
}

impl std::fmt::Debug for LayerSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerSetup")
            .field("tls", &self.tls.as_ref().map(|(_, name)| name))
            .field("websocket", &self.ws.as_ref().map(|w| &w.options))
            .finish()
    }
}

impl LayerSetup {
    /// Layers for a connection to `host:port`: TLS if `tls` is given,
    /// WebSocket (over TLS when both are) if `ws` is. Reads the CA file,
    /// the system's roots and the client certificate now.
    pub fn new(
        host: &str,
        port: u16,
        tls: Option<&TlsOptions>,
        ws: Option<&WsOptions>,
    ) -> Result<Self, LayerError> {
        let tls = match tls {
            Some(options) => Some((options.client_config()?, options.server_name_for(host)?)),
            None => None,
        };
        let ws = ws.map(|options| WsSetup {
            options: options.clone(),
            host: host.to_string(),
            port,
            secure: tls.is_some(),
        });
        if let Some(ws) = &ws {
            // An invalid header or path fails here rather than at each connect.
            ws.options.request(&ws.host, ws.port, ws.secure)?;
        }
        Ok(Self { tls, ws })
    }

    /// A fresh stack for one connection; what it sends first (ClientHello,
    /// upgrade request) is ready in [`StreamLayer::take_wire`].
    pub fn stack(&self) -> Result<Stack, LayerError> {
        let mut layers: Vec<Box<dyn StreamLayer>> = Vec::new();
        if let Some((config, name)) = &self.tls {
            layers.push(Box::new(TlsLayer::new(config.clone(), name.clone())?));
        }
        if let Some(ws) = &self.ws {
            let request = ws.options.request(&ws.host, ws.port, ws.secure)?;
            layers.push(Box::new(WsLayer::new(request)?));
        }
        // Only an upper layer's first bytes can fail to pass down, and a
        // fresh TLS layer takes any plaintext.
        Stack::new(layers)
            .map_err(|e| LayerError::Tls(TlsError::protocol(format!("setting up the layers: {e}"))))
    }
}
