//! What the `pub` and `sub` examples share: mosquitto_pub / mosquitto_sub's
//! connection flags, parsed by hand so the examples need no dependency, and
//! the way errors end the program.
//!
//! Cargo builds `examples/*.rs` and `examples/*/main.rs` only, so this folder
//! is not an example of its own; `pub.rs` and `sub.rs` include it with
//! `#[path]`.

use adapter_std::{BrokerUrl, Client, ClientOptions, Scheme, TlsOptions, WsOptions};
use mqtt_proto::{ConnectProperties, ProtocolVersion, QoS};
use std::process::ExitCode;
use std::time::Duration;

/// Help text for the flags [`Connection::parse_flag`] accepts.
pub const CONNECTION_HELP: &str = " -h HOST      broker host (default localhost)
 -p PORT      broker port (default 1883, 8883 with TLS)
 -L, --url URL
              mqtt://[user[:password]@]host[:port][/topic] instead of -h, -p, -u, -P
              (and -t); user and password are percent-decoded. Also mqtts:// (TLS),
              ws://host:port/path and wss://host:port/path (WebSocket, plain or over
              TLS; there the path is the WebSocket path, /mqtt by default, and the
              topic comes from -t)
 --cafile FILE
              trust the CA certificates of this PEM file (default: the system's);
              turns TLS on
 --cert FILE  client certificate (PEM) for brokers that require one; needs --key
 --key FILE   the client certificate's private key (PEM)
 --insecure   DANGER: accept any server certificate (unknown issuer, wrong host
              name, expired); for test brokers only
 -u USER      user name
 -P PASSWORD  password (needs -u)
 -V VERSION   protocol version: 31, 311 (default) or 5 (also mqttv31, mqttv311, mqttv5)
 -i ID        client identifier (default: a random one)
 -k SECONDS   keep alive, 0 to disable (default 60)
 -c           disable clean session: keep the session after disconnecting
              (needs -i; with -V 5 the session never expires unless -x says otherwise)
 -x SECONDS   MQTT 5 session expiry interval; -1 or 4294967295 for never
 -d           print the client's log and every acknowledgement on stderr
 --help       print this help";

/// mosquitto's wording for `--cert` without `--key` or the reverse.
const CERT_AND_KEY: &str = "Both certfile and keyfile must be provided if one of them is set.";

/// The command line, one argument at a time.
pub struct Args {
    items: std::vec::IntoIter<String>,
}

impl Args {
    /// The program's arguments, without the program name.
    pub fn from_env() -> Result<Self, String> {
        let items = std::env::args_os()
            .skip(1)
            .map(|a| {
                a.into_string()
                    .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            items: items.into_iter(),
        })
    }

    /// The next argument, if any.
    pub fn next_arg(&mut self) -> Option<String> {
        self.items.next()
    }

    /// The value that must follow `flag`.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        self.items
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))
    }

    /// The numeric value that must follow `flag`.
    pub fn number<T: std::str::FromStr>(&mut self, flag: &str) -> Result<T, String> {
        let v = self.value(flag)?;
        v.parse()
            .map_err(|_| format!("invalid value for {flag}: {v:?}"))
    }
}

/// `-q`: 0, 1 or 2.
pub fn parse_qos(s: &str) -> Result<QoS, String> {
    s.parse::<u8>()
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| format!("Invalid QoS given: {s}"))
}

/// `-V`, with mosquitto's spellings and the plain version numbers.
pub fn parse_version(s: &str) -> Result<ProtocolVersion, String> {
    match s {
        "31" | "mqttv31" | "3.1" => Ok(ProtocolVersion::V3_1),
        "311" | "mqttv311" | "3.1.1" => Ok(ProtocolVersion::V3_1_1),
        "5" | "mqttv5" | "5.0" => Ok(ProtocolVersion::V5),
        other => Err(format!(
            "unknown protocol version {other:?} (use 31, 311 or 5)"
        )),
    }
}

/// The connection flags, as given.
#[derive(Debug, Default)]
pub struct Connection {
    host: Option<String>,
    port: Option<u16>,
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    version: Option<ProtocolVersion>,
    client_id: Option<String>,
    keep_alive: Option<u16>,
    persistent: bool,
    session_expiry: Option<u32>,
    cafile: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    insecure: bool,
    /// `-d`: log to stderr.
    pub debug: bool,
}

impl Connection {
    /// Takes `flag` (and its value) if it is a connection flag; `Ok(false)`
    /// leaves it to the program.
    pub fn parse_flag(&mut self, flag: &str, args: &mut Args) -> Result<bool, String> {
        match flag {
            "-h" | "--host" => self.host = Some(args.value(flag)?),
            "-p" | "--port" => {
                let port: u16 = args.number(flag)?;
                if port == 0 {
                    return Err("invalid port 0".into());
                }
                self.port = Some(port);
            }
            "-L" | "--url" => self.url = Some(args.value(flag)?),
            "-u" | "--username" => self.username = Some(args.value(flag)?),
            "-P" | "--pw" => self.password = Some(args.value(flag)?),
            "-V" | "--protocol-version" => self.version = Some(parse_version(&args.value(flag)?)?),
            "-i" | "--id" => self.client_id = Some(args.value(flag)?),
            "-k" | "--keepalive" => self.keep_alive = Some(args.number(flag)?),
            "-c" | "--disable-clean-session" => self.persistent = true,
            "-x" => {
                let v = args.value(flag)?;
                self.session_expiry = Some(match v.as_str() {
                    "-1" | "∞" => u32::MAX,
                    n => n
                        .parse()
                        .map_err(|_| format!("invalid session expiry interval {n:?}"))?,
                });
            }
            "-d" | "--debug" => self.debug = true,
            "--cafile" => self.cafile = Some(args.value(flag)?),
            "--cert" => self.cert = Some(args.value(flag)?),
            "--key" => self.key = Some(args.value(flag)?),
            "--insecure" => self.insecure = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The protocol version asked for.
    pub fn version(&self) -> ProtocolVersion {
        self.version.unwrap_or(ProtocolVersion::V3_1_1)
    }

    /// The topic in the path of `--url`, mosquitto's `-L mqtt://host/topic`.
    pub fn url_topic(&self) -> Result<Option<String>, String> {
        Ok(self.split_url()?.and_then(|(_, topic)| topic))
    }

    /// `--url` parsed, and the topic of its path if it has one.
    fn split_url(&self) -> Result<Option<(BrokerUrl, Option<String>)>, String> {
        let Some(url) = &self.url else {
            return Ok(None);
        };
        // BrokerUrl reads the path as a WebSocket path; for mqtt:// it is
        // mosquitto's topic, so it is cut off first.
        let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
        if scheme == "ws" || scheme == "wss" {
            let parsed = BrokerUrl::parse(url).map_err(|e| e.to_string())?;
            return Ok(Some((parsed, None)));
        }
        let (base, topic) = match url.find("://") {
            Some(i) => match url[i + 3..].find('/') {
                Some(j) => {
                    let (base, path) = url.split_at(i + 3 + j);
                    let topic = &path[1..];
                    (base, (!topic.is_empty()).then(|| topic.to_string()))
                }
                None => (url.as_str(), None),
            },
            None => (url.as_str(), None),
        };
        let parsed = BrokerUrl::parse(base).map_err(|e| e.to_string())?;
        Ok(Some((parsed, topic)))
    }

    /// The client options these flags describe.
    pub fn options(&self) -> Result<ClientOptions, String> {
        let version = self.version();
        let tls_flags = self.cafile.is_some() || self.cert.is_some() || self.insecure;
        let (mut host, mut port) = ("localhost".to_string(), if tls_flags { 8883 } else { 1883 });
        let (mut username, mut password) = (None, None);
        let (mut scheme, mut ws_path) = (Scheme::Mqtt, None);
        if let Some((url, _)) = self.split_url()? {
            if self.host.is_some() || self.port.is_some() {
                return Err("give either --url or -h / -p, not both".into());
            }
            (host, port) = (url.host, url.port);
            (username, password) = (url.username, url.password);
            scheme = url.scheme;
            if matches!(scheme, Scheme::Ws | Scheme::Wss) {
                ws_path = Some(url.path);
            }
        }
        if let Some(h) = &self.host {
            host = h.clone();
        }
        if let Some(p) = self.port {
            port = p;
        }
        if self.username.is_some() {
            username = self.username.clone();
        }
        if self.password.is_some() {
            password = self.password.clone();
        }
        let mut options = ClientOptions::new(host, port)
            .transport(scheme)
            .protocol(version)
            .keep_alive(Duration::from_secs(self.keep_alive.unwrap_or(60).into()));
        if let Some(path) = ws_path {
            options = options.websocket(WsOptions::new().path(path));
        }
        if tls_flags || matches!(scheme, Scheme::Mqtts | Scheme::Wss) {
            let mut tls = TlsOptions::new().danger_accept_invalid_certs(self.insecure);
            if let Some(ca) = &self.cafile {
                tls = tls.ca_file(ca);
            }
            match (&self.cert, &self.key) {
                (Some(cert), Some(key)) => tls = tls.client_cert(cert, key),
                (None, None) => {}
                _ => return Err(CERT_AND_KEY.into()),
            }
            options = options.tls(tls);
        } else if self.key.is_some() {
            return Err(CERT_AND_KEY.into());
        }
        match (username, password) {
            (Some(u), Some(p)) => options = options.credentials(u, p),
            (Some(u), None) => options = options.username(u),
            // MQTT 3.1.1 forbids a password without a user name [MQTT-3.1.2-22].
            (None, Some(_)) => return Err("a password (-P) needs a user name (-u)".into()),
            (None, None) => {}
        }
        if let Some(id) = &self.client_id {
            options = options.client_id(id.clone());
        }
        if self.persistent {
            // A generated identifier would name a new session on every run.
            if self.client_id.is_none() {
                return Err("You must provide a client id if you are using the -c option.".into());
            }
            // Like mosquitto_sub -c: a later run takes the broker's session
            // over (safely: see UnknownSessionPolicy::Adopt), so what was
            // queued while it was away arrives.
            options = options
                .clean_start(false)
                .unknown_session(mqtt_session::UnknownSessionPolicy::Adopt);
        }
        if let Some(expiry) = self.session_expiry {
            if !version.is_v5() {
                return Err("-x (session expiry) needs MQTT 5 (-V 5)".into());
            }
            options = options.connect_properties(ConnectProperties {
                session_expiry_interval: Some(expiry),
                ..Default::default()
            });
        } else if self.persistent && version.is_v5() {
            // In 5.0 clean start alone keeps nothing: the session expires
            // with the connection unless an interval says otherwise.
            options = options.connect_properties(ConnectProperties {
                session_expiry_interval: Some(u32::MAX),
                ..Default::default()
            });
        }
        Ok(options)
    }
}

/// With `-d`, the client's log lines go to stderr.
pub fn log_to_stderr(client: &Client, program: &str) {
    let program = program.to_string();
    client.on_log(move |c, level, msg| {
        eprintln!("{program} [{}] {level}: {msg}", c.client_id());
    });
}

/// A usage error: mosquitto's wording, exit status 1.
pub fn usage_error(program: &str, msg: &str) -> ExitCode {
    eprintln!("Error: {msg}");
    eprintln!("Use '{program} --help' to see usage.");
    ExitCode::from(1)
}

/// A runtime error (connection, delivery): exit status 1.
pub fn runtime_error(msg: &str) -> ExitCode {
    eprintln!("Error: {msg}");
    ExitCode::from(1)
}
