//! `mqtt://user:pass@host:port` URLs.

use crate::error::Error;

/// The transport a URL scheme selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `mqtt://` or `tcp://`: plain TCP, default port 1883.
    Mqtt,
    /// `mqtts://` or `ssl://`: TLS, default port 8883.
    Mqtts,
    /// `ws://`: WebSocket, default port 80.
    Ws,
    /// `wss://`: WebSocket over TLS, default port 443.
    Wss,
}

impl Scheme {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Mqtt => 1883,
            Self::Mqtts => 8883,
            Self::Ws => 80,
            Self::Wss => 443,
        }
    }
}

/// The parts of a broker URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// The scheme.
    pub scheme: Scheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name, percent-decoded.
    pub username: Option<String>,
    /// Password, percent-decoded.
    pub password: Option<String>,
    /// Path, for WebSocket (`/mqtt` when absent).
    pub path: String,
}

impl BrokerUrl {
    /// Parses `scheme://[user[:password]@]host[:port][/path]`.
    ///
    /// ```
    /// use mqtt_client::{BrokerUrl, Scheme};
    /// let u = BrokerUrl::parse("mqtt://alice:s%40cret@broker.local:1884").unwrap();
    /// assert_eq!((u.scheme, u.host.as_str(), u.port), (Scheme::Mqtt, "broker.local", 1884));
    /// assert_eq!(u.password.as_deref(), Some("s@cret"));
    /// ```
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidUrl(format!("{url}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("missing scheme://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => Scheme::Mqtt,
            "mqtts" | "ssl" | "tls" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            other => return Err(bad(&format!("unknown scheme {other:?}"))),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/mqtt".to_string()),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (Some(percent_decode(u, url)?), Some(percent_decode(p, url)?)),
                None => (Some(percent_decode(info, url)?), None),
            },
        };
        let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("invalid port"))?,
            None => scheme.default_port(),
        };
        Ok(Self {
            scheme,
            host: host.to_string(),
            port,
            username,
            password,
            path,
        })
    }
}

fn percent_decode(s: &str, url: &str) -> Result<String, Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::InvalidUrl(format!("{url}: bad percent escape")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::InvalidUrl(format!("{url}: credentials are not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_forms() {
        let u = BrokerUrl::parse("mqtt://localhost").unwrap();
        assert_eq!((u.port, u.username, u.password), (1883, None, None));
        assert_eq!(BrokerUrl::parse("mqtts://h").unwrap().port, 8883);
        let ws = BrokerUrl::parse("ws://h:9001/ws").unwrap();
        assert_eq!(
            (ws.scheme, ws.port, ws.path.as_str()),
            (Scheme::Ws, 9001, "/ws")
        );
        assert_eq!(BrokerUrl::parse("wss://h").unwrap().path, "/mqtt");
        let v6 = BrokerUrl::parse("mqtt://u@[::1]:1884").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.username.as_deref()),
            ("::1", 1884, Some("u"))
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "localhost:1883",
            "http://h",
            "mqtt://:1883",
            "mqtt://h:x",
            "mqtt://a%zz@h",
        ] {
            assert!(BrokerUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
