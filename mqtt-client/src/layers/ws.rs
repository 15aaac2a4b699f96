//! WebSocket with tungstenite over caller-driven buffers, and its options.
//!
//! MQTT over WebSocket (MQTT 3.1.1 and 5.0, chapter 6): packets travel in
//! binary frames [MQTT-6.0.0-1], a frame may hold several packets or part
//! of one [MQTT-6.0.0-2], the client offers the `mqtt` subprotocol
//! [MQTT-6.0.0-3] and the server must select it [MQTT-6.0.0-4].

use super::stack::{io_error, StreamLayer};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use tungstenite::client::IntoClientRequest;
use tungstenite::error::{Error as WsLibError, ProtocolError};
use tungstenite::handshake::client::{ClientHandshake, Request};
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::http::{HeaderName, HeaderValue};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// The subprotocol MQTT registers with IANA [MQTT-6.0.0-3].
pub const MQTT_SUBPROTOCOL: &str = "mqtt";

/// The largest MQTT packet: a 268,435,455-byte remaining length and its
/// 5-byte header. A frame or message above it cannot be MQTT.
const MAX_MQTT_PACKET: usize = 268_435_455 + 5;

/// How to open the WebSocket (Paho's `transport="websockets"` and
/// `ws_set_options(path, headers)`).
///
/// ```
/// use mqtt_client::layers::WsOptions;
/// use mqtt_client::ClientOptions;
///
/// let options = ClientOptions::new("broker.example", 8080).websocket(
///     WsOptions::new().path("/ws").header("Authorization", "Bearer abc"),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsOptions {
    path: String,
    headers: Vec<(String, String)>,
}

impl Default for WsOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl WsOptions {
    /// Path `/mqtt`, no extra headers.
    pub fn new() -> Self {
        Self {
            path: "/mqtt".into(),
            headers: Vec::new(),
        }
    }

    /// The request path (with a query, if any); `/` is added in front if missing.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self
    }

    /// The request path.
    pub fn path_str(&self) -> &str {
        &self.path
    }

    /// An extra header of the upgrade request (authorization, cookies,
    /// origin ...). The headers of the upgrade itself cannot be replaced.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The extra headers.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The upgrade request for `host:port`, with the mqtt subprotocol and
    /// a fresh Sec-WebSocket-Key. `secure` only chooses the URI scheme.
    pub fn request(&self, host: &str, port: u16, secure: bool) -> Result<Request, WsError> {
        let scheme = if secure { "wss" } else { "ws" };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let uri = format!("{scheme}://{host}:{port}{}", self.path);
        let mut request = uri
            .as_str()
            .into_client_request()
            .map_err(|e| WsError::config(format!("WebSocket URI {uri}: {e}")))?;
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(MQTT_SUBPROTOCOL),
        );
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| WsError::config(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| WsError::config(format!("invalid value for header {name}")))?;
            headers.append(name, value);
        }
        Ok(request)
    }
}

/// What kind of WebSocket failure a [`WsError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsErrorKind {
    /// The server answered the upgrade with another HTTP status than 101
    /// (see [`WsError::status`]).
    UpgradeRefused,
    /// The server did not select the mqtt subprotocol [MQTT-6.0.0-4].
    Subprotocol,
    /// The upgrade response was wrong (bad Sec-WebSocket-Accept, missing
    /// headers), or the connection ended during the upgrade.
    Handshake,
    /// The server sent a text frame; MQTT travels in binary frames only
    /// [MQTT-6.0.0-1].
    NotBinary,
    /// The peer broke the WebSocket protocol (or a frame exceeded the size limit).
    Protocol,
    /// The options cannot be used (an invalid header, path or host).
    Config,
}

/// A WebSocket failure.
#[derive(Debug, Clone)]
#[doc(alias = "WebsocketConnectionError")]
pub struct WsError {
    kind: WsErrorKind,
    message: String,
    status: Option<u16>,
    /// The URL of the connection, once the client core knows it failed.
    endpoint: Option<Box<str>>,
}

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.endpoint {
            Some(at) => write!(f, "WebSocket: {at}: {}", self.message),
            None => write!(f, "WebSocket: {}", self.message),
        }
    }
}

impl std::error::Error for WsError {}

impl WsError {
    /// What went wrong.
    pub fn kind(&self) -> WsErrorKind {
        self.kind
    }

    /// The HTTP status of a refused upgrade.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The endpoint this error happened with, if named.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The same error naming `endpoint` (a URL or `host:port`), unless it
    /// already names one.
    pub fn at(mut self, endpoint: &str) -> Self {
        self.endpoint.get_or_insert_with(|| endpoint.into());
        self
    }

    fn new(kind: WsErrorKind, message: String) -> Self {
        Self {
            kind,
            message,
            status: None,
            endpoint: None,
        }
    }

    pub(crate) fn config(message: String) -> Self {
        Self::new(WsErrorKind::Config, message)
    }

    fn from_handshake(error: WsLibError) -> Self {
        match error {
            WsLibError::Http(response) => {
                let status = response.status();
                Self {
                    kind: WsErrorKind::UpgradeRefused,
                    message: format!(
                        "the server refused the upgrade with HTTP {} {} (wrong path, or not a \
                         WebSocket listener?)",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("")
                    ),
                    status: Some(status.as_u16()),
                    endpoint: None,
                }
            }
            WsLibError::Protocol(ProtocolError::SecWebSocketSubProtocolError(e)) => Self::new(
                WsErrorKind::Subprotocol,
                format!("the server did not select the mqtt subprotocol: {e}"),
            ),
            other => Self::new(
                WsErrorKind::Handshake,
                format!("bad upgrade response: {other}"),
            ),
        }
    }

    fn into_io(self) -> io::Error {
        let kind = match self.kind {
            WsErrorKind::Config => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io_error(kind, self)
    }
}

/// The in-memory stream tungstenite reads and writes: input fed by the
/// caller, output taken by the caller; reading past the input "would block".
#[derive(Debug, Default)]
struct Buffers {
    input: VecDeque<u8>,
    output: Vec<u8>,
}

impl Read for Buffers {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.input.read(buf)
    }
}

impl Write for Buffers {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum State {
    Upgrading(MidHandshake<ClientHandshake<Buffers>>),
    Open(WebSocket<Buffers>),
    /// The upgrade failed; nothing more goes in or out.
    Failed(Buffers),
}

/// The client side of a WebSocket carrying MQTT, over caller-driven buffers.
///
/// Every [`StreamLayer::write_plaintext`] becomes one binary frame; frames
/// received are joined into one byte stream whatever their boundaries.
/// Pings are answered with pongs, a close frame with a close frame.
pub struct WsLayer {
    state: State,
    /// MQTT bytes written before the upgrade completed.
    held: Vec<u8>,
    plaintext: Vec<u8>,
    closed: bool,
}

impl std::fmt::Debug for WsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Upgrading(_) => "upgrading",
            State::Open(_) => "open",
            State::Failed(_) => "failed",
        };
        f.debug_struct("WsLayer")
            .field("state", &state)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl WsLayer {
    /// Starts the upgrade with `request` (see [`WsOptions::request`]); the
    /// HTTP request is ready in [`StreamLayer::take_wire`].
    pub fn new(request: Request) -> Result<Self, WsError> {
        let config = WebSocketConfig::default()
            .max_frame_size(Some(MAX_MQTT_PACKET))
            .max_message_size(Some(MAX_MQTT_PACKET))
            // Frames go to our buffer at once; the caller batches packets.
            .write_buffer_size(0);
        let mid = ClientHandshake::start(Buffers::default(), request, Some(config))
            .map_err(WsError::from_handshake)?;
        // The first round writes the request and stops at the missing response.
        let state = match mid.handshake() {
            Err(HandshakeError::Interrupted(mid)) => State::Upgrading(mid),
            Err(HandshakeError::Failure(e)) => return Err(WsError::from_handshake(e)),
            Ok(_) => {
                return Err(WsError::new(
                    WsErrorKind::Handshake,
                    "upgrade finished without a response".into(),
                ))
            }
        };
        Ok(Self {
            state,
            held: Vec::new(),
            plaintext: Vec::new(),
            closed: false,
        })
    }

    fn buffers(&mut self) -> &mut Buffers {
        match &mut self.state {
            State::Upgrading(mid) => mid.get_mut().get_mut(),
            State::Open(ws) => ws.get_mut(),
            State::Failed(b) => b,
        }
    }

    /// Continues the upgrade with the input received so far.
    fn upgrade(&mut self) -> io::Result<()> {
        let state = std::mem::replace(&mut self.state, State::Failed(Buffers::default()));
        let State::Upgrading(mid) = state else {
            self.state = state;
            return Ok(());
        };
        match mid.handshake() {
            Err(HandshakeError::Interrupted(mid)) => {
                self.state = State::Upgrading(mid);
                Ok(())
            }
            Err(HandshakeError::Failure(e)) => Err(WsError::from_handshake(e).into_io()),
            Ok((ws, _response)) => {
                self.state = State::Open(ws);
                if !self.held.is_empty() {
                    let held = std::mem::take(&mut self.held);
                    self.send(held)?;
                }
                // Frames that arrived with the response.
                self.read_frames()
            }
        }
    }

    fn send(&mut self, data: Vec<u8>) -> io::Result<()> {
        let State::Open(ws) = &mut self.state else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        ws.send(Message::Binary(data.into())).map_err(send_error)
    }

    fn read_frames(&mut self) -> io::Result<()> {
        let State::Open(ws) = &mut self.state else {
            return Ok(());
        };
        loop {
            match ws.read() {
                Ok(Message::Binary(data)) => self.plaintext.extend_from_slice(&data),
                // [MQTT-6.0.0-1] Anything but binary data closes the connection.
                Ok(Message::Text(_)) => {
                    let _ = ws.close(Some(CloseFrame {
                        code: CloseCode::Unsupported,
                        reason: "MQTT needs binary frames".into(),
                    }));
                    let _ = ws.flush();
                    self.closed = true;
                    return Err(WsError::new(
                        WsErrorKind::NotBinary,
                        "the server sent a text frame; MQTT travels in binary frames only".into(),
                    )
                    .into_io());
                }
                // tungstenite queued the pong, or the close reply; sent below.
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Ok(Message::Close(_)) => self.closed = true,
                Err(WsLibError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(WsLibError::ConnectionClosed | WsLibError::AlreadyClosed) => {
                    self.closed = true;
                    break;
                }
                Err(e) => return Err(WsError::new(WsErrorKind::Protocol, format!("{e}")).into_io()),
            }
        }
        // Writes the queued pong or close reply into the output buffer.
        match ws.flush() {
            Ok(()) | Err(WsLibError::ConnectionClosed | WsLibError::AlreadyClosed) => Ok(()),
            Err(e) => Err(send_error(e)),
        }
    }
}

fn send_error(e: WsLibError) -> io::Error {
    match e {
        WsLibError::ConnectionClosed | WsLibError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::BrokenPipe, "the WebSocket is closed")
        }
        WsLibError::Protocol(ProtocolError::SendAfterClosing) => {
            io::Error::new(io::ErrorKind::BrokenPipe, "the WebSocket is closing")
        }
        other => WsError::new(WsErrorKind::Protocol, format!("{other}")).into_io(),
    }
}

impl StreamLayer for WsLayer {
    fn name(&self) -> &'static str {
        "websocket"
    }

    fn read_wire(&mut self, wire: &[u8]) -> io::Result<()> {
        if let State::Failed(_) = self.state {
            return Err(io::ErrorKind::NotConnected.into());
        }
        self.buffers().input.extend(wire);
        match self.state {
            State::Upgrading(_) => self.upgrade(),
            _ => self.read_frames(),
        }
    }

    fn read_eof(&mut self) -> io::Result<()> {
        if let State::Upgrading(_) = self.state {
            return Err(WsError::new(
                WsErrorKind::Handshake,
                "the server closed the connection during the upgrade (is it a WebSocket \
                 listener? does it accept the mqtt subprotocol?)"
                    .into(),
            )
            .into_io());
        }
        Ok(())
    }

    fn take_plaintext(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.plaintext);
        } else {
            out.append(&mut self.plaintext);
        }
    }

    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
        match self.state {
            State::Upgrading(_) => {
                self.held.extend_from_slice(data);
                Ok(())
            }
            State::Open(_) => self.send(data.to_vec()),
            State::Failed(_) => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn take_wire(&mut self, out: &mut Vec<u8>) {
        let output = &mut self.buffers().output;
        if out.is_empty() {
            std::mem::swap(out, output);
        } else {
            out.append(output);
        }
    }

    fn is_handshaking(&self) -> bool {
        matches!(self.state, State::Upgrading(_))
    }

    fn wants_write(&self) -> bool {
        let output = match &self.state {
            State::Upgrading(mid) => &mid.get_ref().get_ref().output,
            State::Open(ws) => &ws.get_ref().output,
            State::Failed(b) => &b.output,
        };
        !output.is_empty()
    }

    fn is_closed(&self) -> bool {
        self.closed
    }

    fn close(&mut self) {
        if let State::Open(ws) = &mut self.state {
            let _ = ws.close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }));
            let _ = ws.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::handshake::derive_accept_key;

    /// A layer and the request it wrote, parsed: (request line, headers).
    fn start(options: &WsOptions) -> (WsLayer, String, Vec<(String, String)>) {
        let mut layer = WsLayer::new(options.request("127.0.0.1", 9001, false).unwrap()).unwrap();
        let mut wire = Vec::new();
        layer.take_wire(&mut wire);
        let text = String::from_utf8(wire).unwrap();
        assert!(text.ends_with("\r\n\r\n"), "{text:?}");
        let mut lines = text.trim_end().split("\r\n");
        let first = lines.next().unwrap().to_string();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(": ").unwrap();
                (n.to_ascii_lowercase(), v.to_string())
            })
            .collect();
        (layer, first, headers)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The server's 101 answer to a request with this key (RFC 6455 §4.2.2).
    fn accept(key: &str, protocol: Option<&str>) -> Vec<u8> {
        let mut r = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n",
            derive_accept_key(key.as_bytes())
        );
        if let Some(p) = protocol {
            r += &format!("Sec-WebSocket-Protocol: {p}\r\n");
        }
        r += "\r\n";
        r.into_bytes()
    }

    fn open() -> WsLayer {
        let (mut layer, _, headers) = start(&WsOptions::new());
        let key = header(&headers, "sec-websocket-key").unwrap().to_string();
        layer.read_wire(&accept(&key, Some("mqtt"))).unwrap();
        assert!(!layer.is_handshaking());
        layer
    }

    /// A server frame (unmasked, RFC 6455 §5.2) with a short payload.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() < 126);
        let mut f = vec![(u8::from(fin) << 7) | opcode, payload.len() as u8];
        f.extend_from_slice(payload);
        f
    }

    /// Unmasks one client frame: (fin+opcode byte, payload).
    fn client_frame(wire: &[u8]) -> (u8, Vec<u8>, usize) {
        assert_eq!(
            wire[1] & 0x80,
            0x80,
            "client frames are masked (RFC 6455 §5.3)"
        );
        let (len, mut at) = match wire[1] & 0x7f {
            126 => (u16::from_be_bytes([wire[2], wire[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let mask = [wire[at], wire[at + 1], wire[at + 2], wire[at + 3]];
        at += 4;
        let payload = wire[at..at + len]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect();
        (wire[0], payload, at + len)
    }

    /// The upgrade request offers the `mqtt` subprotocol, in every protocol version [MQTT-6.0.0-3, 3.1.1, 5.0].
    #[test]
    fn mqtt_6_0_0_3_request_offers_the_mqtt_subprotocol_with_path_and_headers() {
        let options = WsOptions::new()
            .path("ws/broker?tenant=a")
            .header("Authorization", "Bearer token-1")
            .header("Origin", "https://app.example");
        let (layer, first, headers) = start(&options);
        assert!(layer.is_handshaking());
        assert_eq!(first, "GET /ws/broker?tenant=a HTTP/1.1");
        assert_eq!(header(&headers, "sec-websocket-protocol"), Some("mqtt"));
        assert_eq!(header(&headers, "host"), Some("127.0.0.1:9001"));
        assert_eq!(header(&headers, "upgrade"), Some("websocket"));
        assert_eq!(header(&headers, "sec-websocket-version"), Some("13"));
        assert_eq!(header(&headers, "authorization"), Some("Bearer token-1"));
        assert_eq!(header(&headers, "origin"), Some("https://app.example"));
        // A 16-byte nonce, base64 (RFC 6455 §4.1).
        assert_eq!(header(&headers, "sec-websocket-key").unwrap().len(), 24);
    }

    /// A server that does not select `mqtt` is refused, in every protocol version [MQTT-6.0.0-4, 3.1.1, 5.0].
    #[test]
    fn mqtt_6_0_0_4_server_must_select_mqtt() {
        for protocol in [None, Some("mqttv5-other")] {
            let (mut layer, _, headers) = start(&WsOptions::new());
            let key = header(&headers, "sec-websocket-key").unwrap().to_string();
            let e = layer.read_wire(&accept(&key, protocol)).unwrap_err();
            let e = e.into_inner().unwrap().downcast::<WsError>().unwrap();
            assert_eq!(e.kind(), WsErrorKind::Subprotocol, "{e}");
        }
    }

    #[test]
    fn wrong_accept_key_and_refused_upgrades_fail() {
        let (mut layer, _, _) = start(&WsOptions::new());
        let e = layer
            .read_wire(&accept("not-the-key", Some("mqtt")))
            .unwrap_err();
        let e = e.into_inner().unwrap().downcast::<WsError>().unwrap();
        assert_eq!(e.kind(), WsErrorKind::Handshake, "{e}");

        let (mut layer, _, _) = start(&WsOptions::new());
        let e = layer
            .read_wire(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .unwrap_err();
        let e = e.into_inner().unwrap().downcast::<WsError>().unwrap();
        assert_eq!(
            (e.kind(), e.status()),
            (WsErrorKind::UpgradeRefused, Some(404))
        );
        assert!(e.to_string().contains("404"), "{e}");

        let (mut layer, _, _) = start(&WsOptions::new());
        assert!(layer.read_eof().is_err());
    }

    #[test]
    fn writes_before_the_upgrade_wait_and_become_one_binary_frame() {
        let (mut layer, _, headers) = start(&WsOptions::new());
        // CONNECT, written early (3.1.1 §3.1, minimal: protocol name MQTT, level 4,
        // clean session, keep alive 60, empty client id).
        let connect = b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00";
        layer.write_plaintext(connect).unwrap();
        let mut wire = Vec::new();
        layer.take_wire(&mut wire);
        assert!(wire.is_empty(), "nothing before the 101");
        let key = header(&headers, "sec-websocket-key").unwrap().to_string();
        layer.read_wire(&accept(&key, Some("mqtt"))).unwrap();
        layer.take_wire(&mut wire);
        let (head, payload, used) = client_frame(&wire);
        assert_eq!(head, 0x82, "FIN + binary opcode");
        assert_eq!(payload, connect);
        assert_eq!(used, wire.len());
    }

    /// Packets are read across frame boundaries, in every protocol version [MQTT-6.0.0-2, 3.1.1, 5.0].
    #[test]
    fn mqtt_6_0_0_2_several_packets_in_one_frame_and_one_packet_over_several() {
        let mut layer = open();
        // CONNACK (20 02 00 00) and PINGRESP (D0 00) in one frame.
        layer
            .read_wire(&frame(true, 2, b"\x20\x02\x00\x00\xd0\x00"))
            .unwrap();
        let mut got = Vec::new();
        layer.take_plaintext(&mut got);
        assert_eq!(got, b"\x20\x02\x00\x00\xd0\x00");
        // PUBLISH QoS 0 topic "a/b" payload "hi" (30 07 00 03 'a/b' 'hi'),
        // split over three binary messages, and a fragmented one
        // (binary + continuation), delivered in bytes of one at a time.
        let publish = b"\x30\x07\x00\x03a/bhi";
        let mut wire = frame(true, 2, &publish[..1]);
        wire.extend(frame(true, 2, &publish[1..4]));
        wire.extend(frame(true, 2, &publish[4..]));
        wire.extend(frame(false, 2, &publish[..5]));
        wire.extend(frame(true, 0, &publish[5..]));
        for b in &wire {
            layer.read_wire(std::slice::from_ref(b)).unwrap();
        }
        got.clear();
        layer.take_plaintext(&mut got);
        assert_eq!(got, [&publish[..], &publish[..]].concat());
    }

    /// A text frame ends the connection, in every protocol version [MQTT-6.0.0-1, 3.1.1, 5.0].
    #[test]
    fn mqtt_6_0_0_1_a_text_frame_closes_the_connection() {
        let mut layer = open();
        let e = layer.read_wire(&frame(true, 1, b"hello")).unwrap_err();
        let e = e.into_inner().unwrap().downcast::<WsError>().unwrap();
        assert_eq!(e.kind(), WsErrorKind::NotBinary);
        // A close frame (opcode 8) with 1003 "unsupported data" goes back.
        let mut wire = Vec::new();
        layer.take_wire(&mut wire);
        let (head, payload, _) = client_frame(&wire);
        assert_eq!(head, 0x88);
        assert_eq!(&payload[..2], &1003u16.to_be_bytes());
        assert!(layer.is_closed());
    }

    #[test]
    fn pings_are_answered_and_close_frames_echoed() {
        let mut layer = open();
        layer.read_wire(&frame(true, 9, b"p1")).unwrap();
        let mut wire = Vec::new();
        layer.take_wire(&mut wire);
        let (head, payload, _) = client_frame(&wire);
        assert_eq!((head, payload.as_slice()), (0x8a, &b"p1"[..]), "pong");
        // Close 1000 from the server: echoed, and the stream ends.
        layer
            .read_wire(&frame(true, 8, &1000u16.to_be_bytes()))
            .unwrap();
        assert!(layer.is_closed());
        wire.clear();
        layer.take_wire(&mut wire);
        let (head, payload, _) = client_frame(&wire);
        assert_eq!((head, &payload[..2]), (0x88, &1000u16.to_be_bytes()[..]));
        assert!(layer.write_plaintext(b"\xc0\x00").is_err());
    }

    #[test]
    fn close_sends_a_close_frame() {
        let mut layer = open();
        layer.write_plaintext(b"\xe0\x00").unwrap();
        layer.close();
        let mut wire = Vec::new();
        layer.take_wire(&mut wire);
        let (head, payload, used) = client_frame(&wire);
        assert_eq!((head, payload.as_slice()), (0x82, &b"\xe0\x00"[..]));
        let (head, payload, _) = client_frame(&wire[used..]);
        assert_eq!((head, &payload[..2]), (0x88, &1000u16.to_be_bytes()[..]));
    }

    #[test]
    fn frames_with_16_and_64_bit_lengths() {
        let mut layer = open();
        for len in [200usize, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            layer.write_plaintext(&data).unwrap();
            let mut wire = Vec::new();
            layer.take_wire(&mut wire);
            let (head, payload, used) = client_frame(&wire);
            assert_eq!((head, used), (0x82, wire.len()));
            assert_eq!(payload, data);
            // And from the server: 126 + u16, 127 + u64 (RFC 6455 §5.2).
            let mut f = vec![0x82];
            if len < 65536 {
                f.push(126);
                f.extend((len as u16).to_be_bytes());
            } else {
                f.push(127);
                f.extend((len as u64).to_be_bytes());
            }
            f.extend(&data);
            layer.read_wire(&f).unwrap();
            let mut got = Vec::new();
            layer.take_plaintext(&mut got);
            assert_eq!(got, data);
        }
    }

    #[test]
    fn invalid_header_is_a_config_error() {
        let e = WsOptions::new()
            .header("Bad Header", "x")
            .request("h", 1, false)
            .unwrap_err();
        assert_eq!(e.kind(), WsErrorKind::Config);
    }
}
