//! The command line of `pub` and `sub`: mosquitto_pub's and mosquitto_sub's
//! flags with their meaning, their order rules and their error messages.
//!
//! Flags are read left to right and a later one overrides an earlier one
//! (`-L mqtt://a/t -p 1884` connects to port 1884), as in mosquitto. Numbers
//! are read the way mosquitto reads them, with C's `atoi` (`-q x` is QoS 0,
//! `-k 60s` is 60). Then come the checks mosquitto makes once every flag is
//! in ([`Config::finish`]): a will payload needs a will topic, `-c` needs
//! an id, properties must not repeat ...
//!
//! A usage error is the exact text mosquitto prints ([`UsageError`]); the
//! programs add "Use 'pub --help' to see usage." and exit with status 1.

use super::format::{check_format, Output};
use super::props::Properties;
use super::Tool;
use mqtt_proto::{ProtocolVersion, QoS};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

/// A usage error: the text mosquitto prints for it, with its own trailing
/// newline(s) (mosquitto ends some with one, some with two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl UsageError {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Prints it as mosquitto does, followed by the pointer to `--help`.
    pub fn print(&self, tool: Tool) {
        eprint!("{}\nUse '{} --help' to see usage.\n", self.0, tool.name());
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Run with this configuration.
    Run(Box<Config>),
    /// `--help`: print the usage (on stdout; exit status 1, as mosquitto).
    Help,
    /// `--version` (exit status 1, as mosquitto).
    Version,
}

/// Where pub's message comes from (`-m`, `-f`, `-s`, `-l`, `-n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-m`: this payload.
    Message(Vec<u8>),
    /// `-f`: the contents of this file.
    File(PathBuf),
    /// `-s`: all of stdin, one message.
    Stdin,
    /// `-l`: one message per line of stdin.
    Lines,
    /// `-n`: a zero-length message.
    Null,
}

/// The transport `-L` chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlScheme {
    /// `mqtt://`.
    Mqtt,
    /// `mqtts://`: TLS with the system's roots unless `--cafile`.
    Mqtts,
    /// `ws://` (not in mosquitto 2.0).
    Ws,
    /// `wss://` (not in mosquitto 2.0).
    Wss,
}

/// `--will-topic`, `--will-payload`, `--will-qos`, `--will-retain`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WillFlags {
    /// The will's topic; no will without it.
    pub topic: Option<String>,
    /// Its payload (empty when not given).
    pub payload: Option<Vec<u8>>,
    /// Its QoS.
    pub qos: QoS,
    /// Whether it is retained.
    pub retain: bool,
}

/// The TLS flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFlags {
    /// `--cafile`: trust these CA certificates (turns TLS on).
    pub cafile: Option<PathBuf>,
    /// `--cert`: client certificate.
    pub cert: Option<PathBuf>,
    /// `--key`: its private key.
    pub key: Option<PathBuf>,
    /// `--insecure`: do not check that the certificate is for the host name.
    pub insecure: bool,
    /// `--tls-version`: the oldest TLS version to accept.
    pub version: Option<String>,
    /// `--ciphers`.
    pub ciphers: Option<String>,
    /// `--tls-alpn`.
    pub alpn: Option<String>,
    /// `--tls-use-os-certs`: TLS with the system's roots.
    pub use_os_certs: bool,
}

/// Everything the flags say, for both programs (each reads its part).
#[derive(Debug, Clone)]
pub struct Config {
    /// The program.
    pub tool: Tool,

    // ---- the connection ----
    /// `-h`, or the host of `-L`.
    pub host: Option<String>,
    /// `-p`, or the port of `-L` (unset: 1883, or 8883 with `--cafile`).
    pub port: Option<u16>,
    /// The scheme of `-L`.
    pub url_scheme: Option<UrlScheme>,
    /// The WebSocket path of a `ws://` / `wss://` `-L`.
    pub ws_path: Option<String>,
    /// `-A`: the local address to bind to.
    pub bind_address: Option<String>,
    /// `-u`.
    pub username: Option<String>,
    /// `-P`.
    pub password: Option<String>,
    /// `-V` (default 3.1.1; `-D` switches to 5.0).
    pub version: ProtocolVersion,
    /// `-i`.
    pub id: Option<String>,
    /// `-I`: the id is this prefix and the process id.
    pub id_prefix: Option<String>,
    /// `-k` (5 to 65,535 seconds, default 60).
    pub keepalive: u16,
    /// Not `-c`.
    pub clean_session: bool,
    /// `-x`, then what `-c` implies in 5.0 (see [`Config::finish`]).
    pub session_expiry: Option<u32>,
    /// `--session-dir`: keep the session in a file store there.
    pub session_dir: Option<std::path::PathBuf>,
    /// The will flags.
    pub will: WillFlags,
    /// The TLS flags.
    pub tls: TlsFlags,
    /// `-M` (default 20).
    pub max_inflight: u16,
    /// `--nodelay`.
    pub nodelay: bool,
    /// `-d`: print the packet trace on stdout.
    pub debug: bool,
    /// `--quiet`: no error messages.
    pub quiet: bool,
    /// `-D`: 5.0 properties per packet.
    pub props: Properties,

    // ---- pub ----
    /// `-t` (the last one), or the topic of `-L`.
    pub topic: Option<String>,
    /// Where the message comes from.
    pub source: Option<Source>,
    /// `-q`: pub's message QoS, sub's subscription QoS.
    pub qos: QoS,
    /// `-r`.
    pub retain: bool,
    /// `--repeat` (default 1).
    pub repeat_count: u32,
    /// `--repeat-delay`.
    pub repeat_delay: Duration,

    // ---- sub ----
    /// `-t` (each), and the topic of `-L`.
    pub topics: Vec<String>,
    /// `-U`.
    pub unsub_topics: Vec<String>,
    /// `-T`.
    pub filter_outs: Vec<String>,
    /// `-C` (0: no limit).
    pub msg_count: u32,
    /// `-W` in seconds.
    pub timeout: Option<u32>,
    /// `-R`.
    pub no_retain: bool,
    /// `--retained-only`.
    pub retained_only: bool,
    /// `--remove-retained`.
    pub remove_retained: bool,
    /// `--retain-as-published`.
    pub retain_as_published: bool,
    /// `-E`.
    pub exit_after_sub: bool,
    /// `-v`, `-N`, `-F`, `--pretty`.
    pub output: Output,
    /// `--random-filter`, in hundredths of a percent (10,000: all).
    pub random_filter: u32,
}

impl Config {
    /// mosquitto's defaults.
    pub fn new(tool: Tool) -> Self {
        Self {
            tool,
            host: None,
            port: None,
            url_scheme: None,
            ws_path: None,
            bind_address: None,
            username: None,
            password: None,
            version: ProtocolVersion::V3_1_1,
            id: None,
            id_prefix: None,
            keepalive: 60,
            clean_session: true,
            session_expiry: None,
            session_dir: None,
            will: WillFlags::default(),
            tls: TlsFlags::default(),
            max_inflight: 20,
            nodelay: false,
            debug: false,
            quiet: false,
            props: Properties::default(),
            topic: None,
            source: None,
            qos: QoS::AtMostOnce,
            retain: false,
            repeat_count: 1,
            repeat_delay: Duration::ZERO,
            topics: Vec::new(),
            unsub_topics: Vec::new(),
            filter_outs: Vec::new(),
            msg_count: 0,
            timeout: None,
            no_retain: false,
            retained_only: false,
            remove_retained: false,
            retain_as_published: false,
            exit_after_sub: false,
            output: Output::default(),
            random_filter: 10_000,
        }
    }

    /// Whether TLS is on: `--cafile`, `--tls-use-os-certs` or `mqtts://`.
    pub fn uses_tls(&self) -> bool {
        self.tls.cafile.is_some()
            || self.tls.use_os_certs
            || matches!(self.url_scheme, Some(UrlScheme::Mqtts | UrlScheme::Wss))
    }

    /// The port to connect to: `-p` or `-L`'s, else 1883, or 8883 with `--cafile`.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls.cafile.is_some() {
            8883
        } else {
            1883
        })
    }

    /// The client id to use: `-i`, `-I` and the process id, or none (the
    /// library makes one).
    pub fn client_id(&self) -> Option<String> {
        match (&self.id, &self.id_prefix) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(prefix)) => Some(format!("{prefix}{}", std::process::id())),
            (None, None) => None,
        }
    }
}

/// Parses the program's own arguments.
pub fn parse_env(tool: Tool) -> Result<Parsed, UsageError> {
    parse(tool, std::env::args_os().skip(1).collect())
}

/// Parses `args` (without the program name) for `tool`.
pub fn parse(tool: Tool, args: Vec<OsString>) -> Result<Parsed, UsageError> {
    let mut config = Config::new(tool);
    let mut args = Args {
        items: args,
        next: 0,
    };
    while let Some(flag) = args.next() {
        let flag = flag.to_string_lossy().into_owned();
        if let Some(stop) = config.take_flag(&flag, &mut args)? {
            return Ok(stop);
        }
    }
    config.finish()?;
    Ok(Parsed::Run(Box::new(config)))
}

/// The arguments, one at a time.
pub struct Args {
    items: Vec<OsString>,
    next: usize,
}

impl Args {
    fn next(&mut self) -> Option<OsString> {
        let item = self.items.get(self.next).cloned();
        self.next += 1;
        item
    }

    /// How many arguments are left.
    fn left(&self) -> usize {
        self.items.len().saturating_sub(self.next)
    }

    /// The value after a flag, or mosquitto's "no X specified" error:
    /// `Error: -t argument given but no topic specified.`
    fn value(&mut self, flag: &str, what: &str) -> Result<OsString, UsageError> {
        self.next().ok_or_else(|| {
            UsageError::new(format!(
                "Error: {flag} argument given but no {what} specified.\n\n"
            ))
        })
    }

    /// [`Args::value`] as text.
    fn text(&mut self, flag: &str, what: &str) -> Result<String, UsageError> {
        Ok(self.value(flag, what)?.to_string_lossy().into_owned())
    }

    /// [`Args::value`] as text that must be UTF-8, for topics:
    /// `Error: Malformed UTF-8 in -t argument.`
    fn utf8(&mut self, flag: &str, what: &str, label: &str) -> Result<String, UsageError> {
        self.value(flag, what)?.into_string().map_err(|_| {
            UsageError::new(format!("Error: Malformed UTF-8 in {label} argument.\n\n"))
        })
    }
}

/// The bytes of an argument (a payload need not be UTF-8).
fn bytes_of(s: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        s.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

impl Config {
    /// Takes `flag` (and its values). `Ok(Some(..))` stops parsing
    /// (`--help`, `--version`).
    pub fn take_flag(&mut self, flag: &str, args: &mut Args) -> Result<Option<Parsed>, UsageError> {
        use Tool::{Pub, Sub};
        let tool = self.tool;
        let unknown = || UsageError::new(format!("Error: Unknown option '{flag}'.\n"));
        // Flags of one program only are unknown to the other, before
        // their value is looked at (mosquitto's order).
        let only = |t: Tool| if tool == t { Ok(()) } else { Err(unknown()) };
        match flag {
            "-A" => self.bind_address = Some(args.text("-A", "address")?),
            "--session-dir" => {
                self.session_dir = Some(args.text("--session-dir", "directory")?.into())
            }
            "--cafile" => self.tls.cafile = Some(args.text("--cafile", "file")?.into()),
            "--cert" => self.tls.cert = Some(args.text("--cert", "file")?.into()),
            "--key" => self.tls.key = Some(args.text("--key", "file")?.into()),
            "--ciphers" => self.tls.ciphers = Some(args.text("--ciphers", "ciphers")?),
            "--tls-alpn" => self.tls.alpn = Some(args.text("--tls-alpn", "protocol")?),
            "--tls-version" => self.tls.version = Some(args.text("--tls-version", "version")?),
            "--tls-use-os-certs" => self.tls.use_os_certs = true,
            "--insecure" => self.tls.insecure = true,
            "-C" => {
                only(Sub)?;
                let n = atoi(&args.text("-C", "count")?);
                if n < 1 {
                    return Err(UsageError::new(format!(
                        "Error: Invalid message count \"{n}\".\n\n"
                    )));
                }
                self.msg_count = n as u32;
            }
            "-c" | "--disable-clean-session" => self.clean_session = false,
            "-d" | "--debug" => self.debug = true,
            "-D" | "--property" => {
                self.take_property(args)?;
                self.version = ProtocolVersion::V5;
            }
            "-E" => {
                only(Sub)?;
                self.exit_after_sub = true;
            }
            "-f" | "--file" => {
                if tool == Sub {
                    return Err(unknown());
                }
                self.check_one_source()?;
                self.source = Some(Source::File(args.text("-f", "file")?.into()));
            }
            "-F" => {
                if tool == Pub {
                    return Err(unknown());
                }
                let format = args.text("-F", "format")?;
                check_format(&format).map_err(UsageError::new)?;
                self.output.format = Some(format);
            }
            "--help" => return Ok(Some(Parsed::Help)),
            "-h" | "--host" => self.host = Some(args.text("-h", "host")?),
            "-i" | "--id" => {
                if self.id_prefix.is_some() {
                    return Err(both_ids());
                }
                self.id = Some(args.text("-i", "id")?);
            }
            "-I" | "--id-prefix" => {
                if self.id.is_some() {
                    return Err(both_ids());
                }
                self.id_prefix = Some(args.text("-I", "id prefix")?);
            }
            "-k" | "--keepalive" => {
                let k = atoi(&args.text("-k", "keepalive")?);
                if !(5..=65535).contains(&k) {
                    return Err(UsageError::new(
                        "Error: Invalid keepalive given, it must be between 5 and 65535 inclusive.\n\n",
                    ));
                }
                self.keepalive = k as u16;
            }
            "-L" | "--url" => {
                let url = args.text("-L", "URL")?;
                self.take_url(&url)?;
            }
            "-l" | "--stdin-line" => {
                only(Pub)?;
                self.check_one_source()?;
                self.source = Some(Source::Lines);
            }
            "-m" | "--message" => {
                if tool == Sub {
                    return Err(unknown());
                }
                self.check_one_source()?;
                let message = args.value("-m", "message")?;
                self.source = Some(Source::Message(bytes_of(&message)));
            }
            "-M" => {
                let Some(value) = args.next() else {
                    return Err(UsageError::new(
                        "Error: -M argument given but max_inflight not specified.\n\n",
                    ));
                };
                let n = atoi(&value.to_string_lossy());
                if n < 1 {
                    return Err(UsageError::new(
                        "Error: Maximum inflight messages must be greater than 0.\n\n",
                    ));
                }
                self.max_inflight = n.min(i32::from(u16::MAX)) as u16;
            }
            "--nodelay" => self.nodelay = true,
            "-n" | "--null-message" => {
                if tool == Sub {
                    return Err(unknown());
                }
                self.check_one_source()?;
                self.source = Some(Source::Null);
            }
            "-N" => {
                if tool == Pub {
                    return Err(unknown());
                }
                self.output.eol = false;
            }
            "-p" | "--port" => {
                let p = atoi(&args.text("-p", "port")?);
                if !(0..=65535).contains(&p) {
                    return Err(UsageError::new(format!("Error: Invalid port given: {p}\n")));
                }
                self.port = Some(p as u16);
            }
            "--pretty" => {
                if tool == Pub {
                    return Err(unknown());
                }
                self.output.pretty = true;
            }
            "-P" | "--pw" => self.password = Some(args.text("-P", "password")?),
            "-q" | "--qos" => {
                self.qos = qos_arg(&args.text("-q", "QoS")?, "Invalid QoS given: ", "\n")?
            }
            "--quiet" => self.quiet = true,
            "-r" | "--retain" => {
                only(Pub)?;
                self.retain = true;
            }
            "-R" => {
                if tool == Pub {
                    return Err(unknown());
                }
                self.no_retain = true;
            }
            "--random-filter" => {
                only(Sub)?;
                let chance = (10.0 * atof(&args.text("--random-filter", "chance")?)) as i64;
                if !(1..=10_000).contains(&chance) {
                    return Err(UsageError::new(
                        "Error: --random-filter chance must be between 0.1-100.0\n\n",
                    ));
                }
                self.random_filter = chance as u32;
            }
            "--remove-retained" => {
                only(Sub)?;
                self.remove_retained = true;
            }
            "--repeat" => {
                only(Pub)?;
                let n = atoi(&args.text("--repeat", "count")?);
                if n < 1 {
                    return Err(UsageError::new("Error: --repeat argument must be >0.\n\n"));
                }
                self.repeat_count = n as u32;
            }
            "--repeat-delay" => {
                only(Pub)?;
                let secs = atof(&args.text("--repeat-delay", "time")?);
                if secs < 0.0 {
                    return Err(UsageError::new(
                        "Error: --repeat-delay argument must be >=0.0.\n\n",
                    ));
                }
                self.repeat_delay = Duration::from_secs_f64(secs.min(1e9));
            }
            "--retain-as-published" => {
                if tool == Pub {
                    return Err(unknown());
                }
                self.retain_as_published = true;
            }
            "--retained-only" => {
                only(Sub)?;
                self.retained_only = true;
            }
            "-s" | "--stdin-file" => {
                if tool == Sub {
                    return Err(unknown());
                }
                self.check_one_source()?;
                self.source = Some(Source::Stdin);
            }
            "-t" | "--topic" => {
                let topic = args.utf8("-t", "topic", "-t")?;
                self.add_topic(topic)?;
            }
            "-T" | "--filter-out" => {
                only(Sub)?;
                let filter = args.utf8("-T", "topic filter", "-T")?;
                if !is_valid_filter(&filter) {
                    return Err(UsageError::new(format!(
                        "Error: Invalid filter topic '{filter}', are all '+' and '#' wildcards correct?\n"
                    )));
                }
                self.filter_outs.push(filter);
            }
            "-U" | "--unsubscribe" => {
                only(Sub)?;
                let filter = args.utf8("-U", "unsubscribe topic", "-U")?;
                if !is_valid_filter(&filter) {
                    return Err(UsageError::new(format!(
                        "Error: Invalid unsubscribe topic '{filter}', are all '+' and '#' wildcards correct?\n"
                    )));
                }
                self.unsub_topics.push(filter);
            }
            "-u" | "--username" => self.username = Some(args.text("-u", "username")?),
            "-V" | "--protocol-version" => {
                self.version = match args.text("--protocol-version", "version")?.as_str() {
                    "mqttv31" | "31" => ProtocolVersion::V3_1,
                    "mqttv311" | "311" => ProtocolVersion::V3_1_1,
                    "mqttv5" | "5" => ProtocolVersion::V5,
                    _ => {
                        return Err(UsageError::new(
                            "Error: Invalid protocol version argument given.\n\n",
                        ))
                    }
                }
            }
            "-v" | "--verbose" => {
                if tool == Pub {
                    return Err(unknown());
                }
                self.output.verbose = true;
            }
            "--version" => return Ok(Some(Parsed::Version)),
            "-W" => {
                if tool == Pub {
                    return Err(unknown());
                }
                let t = atoi(&args.text("-W", "timeout")?);
                if t < 1 {
                    return Err(UsageError::new(format!(
                        "Error: Invalid timeout \"{t}\".\n\n"
                    )));
                }
                self.timeout = Some(t as u32);
            }
            "--will-payload" => {
                let payload = args.value("--will-payload", "will payload")?;
                self.will.payload = Some(bytes_of(&payload));
            }
            "--will-qos" => {
                self.will.qos = qos_arg(
                    &args.text("--will-qos", "will QoS")?,
                    "Invalid will QoS ",
                    ".\n\n",
                )?;
            }
            "--will-retain" => self.will.retain = true,
            "--will-topic" => {
                let topic = args.utf8("--will-topic", "will topic", "--will-topic")?;
                if topic.contains(['+', '#']) {
                    return Err(UsageError::new(format!(
                        "Error: Invalid will topic '{topic}', does it contain '+' or '#'?\n"
                    )));
                }
                self.will.topic = Some(topic);
            }
            "-x" => {
                let v = args.text("-x", "session expiry interval")?;
                self.session_expiry = Some(session_expiry_arg(&v)?);
            }
            // mosquitto's flags this client has no counterpart for.
            "--capath"
            | "--psk"
            | "--psk-identity"
            | "--proxy"
            | "--unix"
            | "--keyform"
            | "--tls-engine"
            | "--tls-engine-kpass-sha1"
            | "-S" => {
                return Err(UsageError::new(format!(
                    "Error: {flag} is not supported by this client.\n"
                )))
            }
            _ => return Err(unknown()),
        }
        Ok(None)
    }

    /// `-m`, `-f`, `-s`, `-l` and `-n` exclude each other.
    fn check_one_source(&self) -> Result<(), UsageError> {
        if self.source.is_some() {
            return Err(UsageError::new(
                "Error: Only one type of message can be sent at once.\n\n",
            ));
        }
        Ok(())
    }

    /// A `-t` topic (or `-L`'s): pub keeps the last, sub subscribes to each.
    fn add_topic(&mut self, topic: String) -> Result<(), UsageError> {
        match self.tool {
            Tool::Pub => {
                if topic.contains(['+', '#']) {
                    return Err(UsageError::new(format!(
                        "Error: Invalid publish topic '{topic}', does it contain '+' or '#'?\n"
                    )));
                }
                self.topic = Some(topic);
            }
            Tool::Sub => {
                if !is_valid_filter(&topic) {
                    return Err(UsageError::new(format!(
                        "Error: Invalid subscription topic '{topic}', are all '+' and '#' wildcards correct?\n"
                    )));
                }
                self.topics.push(topic);
            }
        }
        Ok(())
    }

    /// `-L scheme://[user[:password]@]host[:port]/topic`, read as mosquitto
    /// reads it; user and password are percent-decoded (mosquitto 2.0
    /// takes them literally), and `ws://` / `wss://` are accepted too,
    /// with the path as the WebSocket path and the topic from `-t`.
    fn take_url(&mut self, url: &str) -> Result<(), UsageError> {
        let lower = url.to_ascii_lowercase();
        let (scheme, rest) = [
            ("mqtt://", UrlScheme::Mqtt),
            ("mqtts://", UrlScheme::Mqtts),
            ("ws://", UrlScheme::Ws),
            ("wss://", UrlScheme::Wss),
        ]
        .into_iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .map(|(prefix, scheme)| (scheme, &url[prefix.len()..]))
        .ok_or_else(|| UsageError::new("Error: unsupported URL scheme.\n\n"))?;
        let websocket = matches!(scheme, UrlScheme::Ws | UrlScheme::Wss);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if websocket {
            self.ws_path = Some(format!("/{}", path.unwrap_or("mqtt")));
        } else {
            let Some(topic) = path else {
                return Err(UsageError::new(
                    "Error: Invalid URL for -L argument specified - topic missing.\n",
                ));
            };
            self.add_topic(topic.to_string())?;
        }
        let hostport = match authority.find('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                let (user, password) = match userinfo.find(':') {
                    Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                    None => (userinfo, None),
                };
                self.username = Some(percent_decode(user));
                if let Some(p) = password {
                    self.password = Some(percent_decode(p));
                }
                &authority[at + 1..]
            }
            None => authority,
        };
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            // An IPv6 literal (mosquitto has no syntax for one).
            let (host, after) = inner.split_once(']').unwrap_or((inner, ""));
            (host, after.strip_prefix(':'))
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        self.host = Some(host.to_string());
        self.port = Some(match port {
            Some(p) => atoi(p).clamp(0, 65535) as u16,
            None => match scheme {
                UrlScheme::Mqtt => 1883,
                UrlScheme::Mqtts => 8883,
                UrlScheme::Ws => 80,
                UrlScheme::Wss => 443,
            },
        });
        self.url_scheme = Some(scheme);
        Ok(())
    }

    /// `-D command identifier value` (and a key before the value for
    /// `user-property`).
    fn take_property(&mut self, args: &mut Args) -> Result<(), UsageError> {
        let not_enough = || {
            UsageError::new(
                "Error: --property argument given but not enough arguments specified.\n\n",
            )
        };
        if args.left() < 3 {
            return Err(not_enough());
        }
        let command = args.next().expect("counted").to_string_lossy().into_owned();
        let name = args.next().expect("counted").to_string_lossy().into_owned();
        let needs_key = self.props.check(&command, &name).map_err(UsageError::new)?;
        let key = if needs_key {
            if args.left() < 2 {
                return Err(not_enough());
            }
            Some(args.next().expect("counted").to_string_lossy().into_owned())
        } else {
            None
        };
        let value = args.next().expect("counted");
        self.props
            .add(&command, &name, key.as_deref(), &bytes_of(&value))
            .map_err(UsageError::new)
    }

    /// The checks mosquitto makes once all flags are read, in its order.
    pub fn finish(&mut self) -> Result<(), UsageError> {
        if self.will.payload.is_some() && self.will.topic.is_none() {
            return Err(UsageError::new(
                "Error: Will payload given, but no will topic given.\n",
            ));
        }
        if self.will.retain && self.will.topic.is_none() {
            return Err(UsageError::new(
                "Error: Will retain given, but no will topic given.\n",
            ));
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            return Err(UsageError::new(
                "Error: Both certfile and keyfile must be provided if one of them is set.\n",
            ));
        }
        let stable_id = self.id.is_some() && self.id_prefix.is_none();
        if self.version.is_v5() {
            if !self.clean_session && self.session_expiry.is_none() {
                // -c alone: a session that never expires.
                self.session_expiry = Some(u32::MAX);
            }
            if let Some(expiry) = self.session_expiry.filter(|e| *e > 0) {
                if expiry == u32::MAX && !stable_id {
                    return Err(UsageError::new(
                        "Error: You must provide a client id if you are using an infinite session expiry interval.\n",
                    ));
                }
                self.props.add_session_expiry(expiry);
            }
        } else if !self.clean_session && !stable_id {
            return Err(UsageError::new(
                "Error: You must provide a client id if you are using the -c option.\n",
            ));
        }
        if self.tool == Tool::Sub && self.topics.is_empty() {
            return Err(UsageError::new(
                "Error: You must specify a topic to subscribe to.\n",
            ));
        }
        self.props.check_all().map_err(UsageError::new)
    }
}

fn both_ids() -> UsageError {
    UsageError::new("Error: -i and -I argument cannot be used together.\n\n")
}

/// A QoS argument (`-q`, `--will-qos`): `atoi`, then 0 to 2.
fn qos_arg(s: &str, prefix: &str, suffix: &str) -> Result<QoS, UsageError> {
    let n = atoi(s);
    u8::try_from(n)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| UsageError::new(format!("Error: {prefix}{n}{suffix}")))
}

/// `-x`: seconds, `-1` / `4294967295` / `∞` for never; any base `strtol`
/// reads (`0x10`).
fn session_expiry_arg(s: &str) -> Result<u32, UsageError> {
    if s == "∞" {
        return Ok(u32::MAX);
    }
    let n = strtol_whole(s)
        .ok_or_else(|| UsageError::new("Error: session-expiry-interval not a number.\n\n"))?;
    match n {
        -1 => Ok(u32::MAX),
        n if (0..=i64::from(u32::MAX)).contains(&n) => Ok(n as u32),
        _ => Err(UsageError::new(
            "Error: session-expiry-interval out of range.\n\n",
        )),
    }
}

/// mosquitto's `mosquitto_sub_topic_check`: `+` and `#` fill a whole
/// level, `#` only the last.
pub fn is_valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "+" => true,
        "#" => i == levels.len() - 1,
        other => !other.contains(['+', '#']),
    })
}

/// Decodes `%XX` escapes; a malformed one is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// C's `strtol(s, _, base)` on the longest prefix it reads: leading
/// spaces, a sign, digits; saturating. `None` if no digit was read.
/// Returns the value and the bytes consumed.
fn strtol_prefix(s: &str, base0: bool) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || (b'\t'..=b'\r').contains(&b[i])) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = 10;
    if base0 && b.get(i) == Some(&b'0') {
        if matches!(b.get(i + 1), Some(b'x' | b'X'))
            && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let start = i;
    let mut value: i128 = 0;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        value = (value * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 1);
        i += 1;
    }
    if i == start {
        return None;
    }
    let value = if negative { -value } else { value };
    Some((
        value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
        i,
    ))
}

/// `strtol(s, &end, 0)` where all of `s` must be the number.
fn strtol_whole(s: &str) -> Option<i64> {
    strtol_prefix(s, true).and_then(|(v, used)| (used == s.len()).then_some(v))
}

/// C's `atol`: the leading number, 0 if none.
pub fn atol(s: &str) -> i64 {
    strtol_prefix(s, false).map_or(0, |(v, _)| v)
}

/// C's `atoi` (glibc: `(int)strtol(s, NULL, 10)`, so a long value wraps).
pub fn atoi(s: &str) -> i32 {
    atol(s) as i32
}

/// C's `atof`: the longest leading decimal number, 0 if none.
pub fn atof(s: &str) -> f64 {
    let t = s.trim_start();
    let candidate: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        .collect();
    (1..=candidate.len())
        .rev()
        .find_map(|n| candidate[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Tool::{Pub, Sub};

    /// Parses `line` split at spaces (no argument here has one).
    fn parse_line(tool: Tool, line: &str) -> Result<Parsed, UsageError> {
        parse(tool, line.split_whitespace().map(OsString::from).collect())
    }

    fn run(tool: Tool, line: &str) -> Config {
        match parse_line(tool, line) {
            Ok(Parsed::Run(c)) => *c,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    fn error(tool: Tool, line: &str) -> String {
        match parse_line(tool, line) {
            Err(UsageError(text)) => text,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn numbers_are_read_as_c_reads_them() {
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("  -7"), -7);
        assert_eq!(atoi("4294967296"), 0, "wraps like (int)strtol");
        assert_eq!(atol("99999999999999999999"), i64::MAX);
        assert_eq!(atof("1.5s"), 1.5);
        assert_eq!(atof("1e"), 1.0);
        assert_eq!(atof("x"), 0.0);
        assert_eq!(strtol_whole("0x10"), Some(16));
        assert_eq!(strtol_whole("010"), Some(8));
        assert_eq!(strtol_whole("12a"), None);
        assert_eq!(strtol_whole(""), None);
    }

    #[test]
    fn pub_flags() {
        let c = run(
            Pub,
            "-h broker -p 1884 -t a/b -m hi -q 2 -r -i me -k 30 -V mqttv5 \
             --repeat 3 --repeat-delay 0.5",
        );
        assert_eq!((c.host.as_deref(), c.port()), (Some("broker"), 1884));
        assert_eq!(c.topic.as_deref(), Some("a/b"));
        assert_eq!(c.source, Some(Source::Message(b"hi".to_vec())));
        assert_eq!((c.qos, c.retain), (QoS::ExactlyOnce, true));
        assert_eq!(c.client_id().as_deref(), Some("me"));
        assert_eq!((c.keepalive, c.version), (30, ProtocolVersion::V5));
        assert_eq!(
            (c.repeat_count, c.repeat_delay),
            (3, Duration::from_millis(500))
        );
        // `-q x` is QoS 0, as atoi reads it.
        assert_eq!(run(Pub, "-t a -n -q x").qos, QoS::AtMostOnce);
    }

    #[test]
    fn sub_flags() {
        let c = run(
            Sub,
            "-t a/# -t +/b -T a/x -U old -C 3 -W 9 -v -N -R -E -F %t|%p --pretty --retained-only",
        );
        assert_eq!(c.topics, ["a/#", "+/b"]);
        assert_eq!(
            (&c.filter_outs[..], &c.unsub_topics[..]),
            (&["a/x".to_string()][..], &["old".to_string()][..])
        );
        assert_eq!((c.msg_count, c.timeout), (3, Some(9)));
        assert!(c.output.verbose && !c.output.eol && c.output.pretty);
        assert!(c.no_retain && c.exit_after_sub && c.retained_only);
        assert_eq!(c.output.format.as_deref(), Some("%t|%p"));
    }

    #[test]
    fn later_flags_override_the_url() {
        let c = run(Pub, "-L mqtt://al%40ce:pw@host:1000/x/y -p 2000 -m m");
        assert_eq!((c.host.as_deref(), c.port()), (Some("host"), 2000));
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("al@ce"), Some("pw"))
        );
        assert_eq!(c.topic.as_deref(), Some("x/y"));
        let c = run(Sub, "-L MQTTS://h/t -t u");
        assert_eq!((c.port(), c.uses_tls()), (8883, true));
        assert_eq!(c.topics, ["t", "u"]);
        let c = run(Sub, "-L ws://h:8080/ws -t u");
        assert_eq!((c.ws_path.as_deref(), c.port()), (Some("/ws"), 8080));
    }

    #[test]
    fn cafile_changes_the_default_port() {
        assert_eq!(run(Sub, "-t a").port(), 1883);
        let c = run(Sub, "-t a --cafile ca.pem");
        assert_eq!((c.port(), c.uses_tls()), (8883, true));
        assert!(!run(Sub, "-t a --insecure").uses_tls());
    }

    #[test]
    fn properties_switch_to_mqtt5_unless_v_comes_later() {
        let c = run(Pub, "-t a -n -D publish user-property k v");
        assert_eq!(c.version, ProtocolVersion::V5);
        assert_eq!(c.props.publish.user_properties.len(), 1);
        let c = run(Pub, "-t a -n -D publish content-type t -V 311");
        assert_eq!(c.version, ProtocolVersion::V3_1_1);
    }

    #[test]
    fn session_expiry() {
        let expiry = |line| run(Sub, line).props.connect.session_expiry_interval;
        assert_eq!(expiry("-t a -V 5 -c -i x"), Some(u32::MAX));
        assert_eq!(expiry("-t a -V 5 -x 0x10"), Some(16));
        // 3.1.1 has no expiry: -x is ignored, as by mosquitto.
        assert_eq!(expiry("-t a -x 60"), None);
        for (line, text) in [
            (
                "-t a -V 5 -x -1",
                "Error: You must provide a client id if you are using an infinite session expiry interval.\n",
            ),
            ("-t a -x -2", "Error: session-expiry-interval out of range.\n\n"),
            (
                "-t a -V 5 -i x -x 5 -D connect session-expiry-interval 6",
                "Error in CONNECT properties: Duplicate property in property list\n",
            ),
        ] {
            assert_eq!(error(Sub, line), text, "{line}");
        }
    }

    #[test]
    fn mosquitto_error_texts() {
        for (tool, line, text) in [
            (Pub, "-t", "Error: -t argument given but no topic specified.\n\n"),
            (Pub, "-V", "Error: --protocol-version argument given but no version specified.\n\n"),
            (Pub, "-M", "Error: -M argument given but max_inflight not specified.\n\n"),
            (Pub, "-q 3", "Error: Invalid QoS given: 3\n"),
            (Pub, "-p 70000", "Error: Invalid port given: 70000\n"),
            (Pub, "-k 0", "Error: Invalid keepalive given, it must be between 5 and 65535 inclusive.\n\n"),
            (Pub, "-m a -n", "Error: Only one type of message can be sent at once.\n\n"),
            (Pub, "-t a/+", "Error: Invalid publish topic 'a/+', does it contain '+' or '#'?\n"),
            (Pub, "-C 1", "Error: Unknown option '-C'.\n"),
            (Pub, "-i a -I b", "Error: -i and -I argument cannot be used together.\n\n"),
            (Pub, "-L http://h/t", "Error: unsupported URL scheme.\n\n"),
            (Pub, "-L mqtt://h", "Error: Invalid URL for -L argument specified - topic missing.\n"),
            (Pub, "--will-qos 3", "Error: Invalid will QoS 3.\n\n"),
            (Pub, "--will-retain", "Error: Will retain given, but no will topic given.\n"),
            (Pub, "--cert c", "Error: Both certfile and keyfile must be provided if one of them is set.\n"),
            (Pub, "-t a -n -c", "Error: You must provide a client id if you are using the -c option.\n"),
            (Pub, "--repeat 0", "Error: --repeat argument must be >0.\n\n"),
            (Sub, "-m x", "Error: Unknown option '-m'.\n"),
            (Sub, "-v", "Error: You must specify a topic to subscribe to.\n"),
            (Sub, "-t a/#/b", "Error: Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?\n"),
            (Sub, "-T a+", "Error: Invalid filter topic 'a+', are all '+' and '#' wildcards correct?\n"),
            (Sub, "-C 0", "Error: Invalid message count \"0\".\n\n"),
            (Sub, "-W abc", "Error: Invalid timeout \"0\".\n\n"),
            (Sub, "-V 4", "Error: Invalid protocol version argument given.\n\n"),
            (Sub, "-F %Z", "Error: Invalid format specifier 'Z'.\n"),
            (Sub, "--bogus", "Error: Unknown option '--bogus'.\n"),
            (Sub, "--psk 00", "Error: --psk is not supported by this client.\n"),
        ] {
            assert_eq!(error(tool, line), text, "{tool:?} {line}");
        }
    }

    #[test]
    fn help_and_version_stop_parsing() {
        assert!(matches!(
            parse_line(Pub, "--help --bogus"),
            Ok(Parsed::Help)
        ));
        assert!(matches!(parse_line(Sub, "--version"), Ok(Parsed::Version)));
        // An error before --help wins, as mosquitto reads left to right.
        assert!(parse_line(Sub, "--bogus --help").is_err());
    }

    #[test]
    fn filter_check() {
        for ok in ["a", "#", "+", "a/+/b", "a/#", "+/+", "", "/"] {
            assert!(is_valid_filter(ok), "{ok}");
        }
        for bad in ["a#", "a/#/b", "a+", "+a/b", "#/a"] {
            assert!(!is_valid_filter(bad), "{bad}");
        }
    }
}
