//! A Mosquitto broker for tests: started on a free
//! loopback port with a generated configuration, stopped on drop.
//!
//! A missing `mosquitto` binary is a panic with a clear message, never a
//! silent skip.
//!
//! Besides the plain listener, a broker can have TLS, mutual-TLS,
//! WebSocket and secure WebSocket listeners ([`Listener`]), each on its own
//! port, with certificates made at start ([`TestCerts`]).

mod fixtures;
mod numbered;
pub use fixtures::{closed_port, read_packet, three_answer_broker, TempDir};
pub use numbered::NumberedMessages;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How to configure a test broker.
#[derive(Debug, Clone, Default)]
pub struct BrokerConfig {
    users: Vec<(String, String)>,
    persistence: bool,
    extra: Vec<String>,
    listeners: Vec<Listener>,
    tls12_max: bool,
}

impl BrokerConfig {
    /// Requires these user names and passwords (no anonymous access).
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }

    /// Keeps sessions and queued messages across restarts (autosave every second).
    pub fn persistence(mut self) -> Self {
        self.persistence = true;
        self
    }

    /// Adds a raw configuration line.
    pub fn line(mut self, line: &str) -> Self {
        self.extra.push(line.into());
        self
    }

    /// Makes every TLS listener of this broker refuse TLS 1.3 (through
    /// OpenSSL's configuration: Mosquitto's `tls_version` only sets a
    /// minimum), to test clients that require 1.3.
    pub fn tls_max_version_1_2(mut self) -> Self {
        self.tls12_max = true;
        self
    }

    /// Adds a listener besides the plain one (see [`Broker::port_of`]).
    pub fn listener(mut self, listener: Listener) -> Self {
        if !self.listeners.contains(&listener) {
            self.listeners.push(listener);
        }
        self
    }

    /// Starts the broker.
    pub fn start(self) -> Broker {
        Broker::start_with(self)
    }
}

/// A running Mosquitto. Killed and cleaned up on drop.
#[derive(Debug)]
pub struct Broker {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    config_path: PathBuf,
    listeners: Vec<(Listener, u16)>,
    certs: Option<TestCerts>,
    /// An OpenSSL configuration the broker runs with (`OPENSSL_CONF`).
    openssl_conf: Option<PathBuf>,
    /// Whether dropping removes `dir`: not for a failed start that is
    /// retried in the same directory.
    remove_dir: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

impl Broker {
    /// A broker with one anonymous plain listener.
    pub fn start() -> Self {
        Self::start_with(BrokerConfig::default())
    }

    /// A configuration to adjust before starting.
    pub fn config() -> BrokerConfig {
        BrokerConfig::default()
    }

    fn start_with(config: BrokerConfig) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mqtt-test-broker-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create broker dir");
        let certs = config
            .listeners
            .iter()
            .any(|l| l.is_tls())
            .then(|| TestCerts::generate(&dir));
        let openssl_conf = config.tls12_max.then(|| {
            let path = dir.join("openssl.cnf");
            std::fs::write(
                &path,
                "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n\
                 [ssl_sect]\nsystem_default = system_default_sect\n\
                 [system_default_sect]\nMaxProtocol = TLSv1.2\n",
            )
            .expect("write the OpenSSL configuration");
            path
        });
        for _ in 0..5 {
            let port = free_port();
            let listeners: Vec<(Listener, u16)> =
                config.listeners.iter().map(|&l| (l, free_port())).collect();
            let config_path = write_config(&dir, port, &config);
            append_listeners(&config_path, &listeners, certs.as_ref());
            let mut broker = Broker {
                child: None,
                port,
                dir: dir.clone(),
                config_path,
                listeners,
                certs: certs.clone(),
                openssl_conf: openssl_conf.clone(),
                remove_dir: true,
            };
            broker.spawn();
            if broker.wait_ready(Duration::from_secs(5)) {
                return broker;
            }
            // Someone took the port between our probe and the broker's bind.
            // The next attempt reuses the directory (certificates included).
            broker.kill();
            broker.remove_dir = false;
        }
        panic!(
            "mosquitto did not start; see {}",
            dir.join("mosquitto.log").display()
        );
    }

    fn spawn(&mut self) {
        // Debian installs it in /usr/sbin, which a non-root PATH may lack.
        let binary = if Path::new("/usr/sbin/mosquitto").exists() {
            "/usr/sbin/mosquitto"
        } else {
            "mosquitto"
        };
        let mut command = Command::new(binary);
        if let Some(conf) = &self.openssl_conf {
            command.env("OPENSSL_CONF", conf);
        }
        let child = command
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.join("stderr.log")).expect("stderr log"),
            ))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `mosquitto` ({e}): the integration tests need Mosquitto; \
                     install it with `apt-get install -y mosquitto`"
                )
            });
        self.child = Some(child);
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    return false;
                }
            }
            let mut ports = std::iter::once(self.port).chain(self.listeners.iter().map(|l| l.1));
            if ports.all(|port| TcpStream::connect(("127.0.0.1", port)).is_ok()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// The listener's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The port of an extra listener on 127.0.0.1. Panics if the broker
    /// was not configured with it.
    pub fn port_of(&self, listener: Listener) -> u16 {
        self.listeners
            .iter()
            .find(|l| l.0 == listener)
            .map(|l| l.1)
            .unwrap_or_else(|| panic!("the broker has no {listener:?} listener"))
    }

    /// The URL of an extra listener: `mqtts://localhost:port` (the name
    /// the server certificate has), `ws://127.0.0.1:port/mqtt`, ...
    pub fn url_of(&self, listener: Listener) -> String {
        let port = self.port_of(listener);
        match listener {
            Listener::WebSocket => format!("ws://127.0.0.1:{port}/mqtt"),
            Listener::SecureWebSocket => format!("wss://localhost:{port}/mqtt"),
            _ => format!("mqtts://localhost:{port}"),
        }
    }

    /// The certificates of the TLS listeners. Panics if there is none.
    pub fn certs(&self) -> &TestCerts {
        self.certs
            .as_ref()
            .expect("the broker has no TLS listener, so no certificates")
    }

    /// The broker's log file (every packet is logged).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("mosquitto.log")
    }

    /// A crash: SIGKILL, no state saved beyond the last autosave.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the broker (SIGSTOP): connections stay open, nothing is
    /// read, acknowledged or saved until [`Broker::resume`] or a kill.
    pub fn pause(&mut self) {
        self.signal("-STOP");
    }

    /// Returns once the broker has handled and saved to disk everything a
    /// client sent before: call it before [`Broker::pause`] and
    /// [`Broker::kill`] in a crash test. `idle` tells whether the client's
    /// session is idle; `round_trip` makes one QoS 1 publish through that
    /// client's connection and waits for its PUBACK.
    ///
    /// Mosquitto saves only after some changes (a finished message, a
    /// subscription), and a SIGKILL during a save keeps the previous file.
    /// A QoS 2 exchange the client already finished could come back from
    /// that file as new (seen once in CI: message 99 delivered twice). So
    /// this waits until the client's session is idle, then makes two QoS 1
    /// round trips (on a topic nobody subscribes to). The
    /// broker reads a connection in order and is single-threaded: the
    /// first answer proves every earlier packet was handled, the second
    /// that a save those packets started has finished.
    pub fn wait_saved(&self, idle: impl Fn() -> bool, mut round_trip: impl FnMut()) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !idle() {
            assert!(
                Instant::now() < deadline,
                "the client's session never went idle"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        round_trip();
        round_trip();
    }

    /// Lets a paused broker run again (SIGCONT).
    pub fn resume(&mut self) {
        self.signal("-CONT");
    }

    fn signal(&mut self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status()
                .expect("run kill");
            assert!(status.success(), "kill {signal} failed");
        }
    }

    /// A clean stop: SIGTERM, persistence saved.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port with the same configuration
    /// and persistence directory.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.spawn();
            if self.wait_ready(Duration::from_secs(5)) {
                return;
            }
            self.kill();
            assert!(
                Instant::now() < deadline,
                "mosquitto did not restart on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The broker's process id while it runs (to measure its CPU, say).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        if !self.remove_dir {
            return;
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("broker log kept at {}", self.log_path().display());
        }
    }
}

fn write_config(dir: &Path, port: u16, config: &BrokerConfig) -> PathBuf {
    let mut lines = vec![
        format!("listener {port} 127.0.0.1"),
        // Running as root, Mosquitto would switch to user `mosquitto` and lose
        // access to files in our directory.
        "user root".to_string(),
        format!("log_dest file {}", dir.join("mosquitto.log").display()),
        "log_type all".to_string(),
        "max_queued_messages 100000".to_string(),
    ];
    if config.users.is_empty() {
        lines.push("allow_anonymous true".into());
    } else {
        let file = dir.join("passwd");
        std::fs::write(&file, "").expect("password file");
        for (user, password) in &config.users {
            let status = Command::new("mosquitto_passwd")
                .arg("-b")
                .arg(&file)
                .arg(user)
                .arg(password)
                .status()
                .expect("mosquitto_passwd (package mosquitto) is needed for password tests");
            assert!(status.success(), "mosquitto_passwd failed");
        }
        lines.push("allow_anonymous false".into());
        lines.push(format!("password_file {}", file.display()));
    }
    if config.persistence {
        lines.push("persistence true".into());
        lines.push(format!("persistence_location {}/", dir.display()));
        lines.push("autosave_interval 1".into());
    }
    lines.extend(config.extra.iter().cloned());
    let path = dir.join("mosquitto.conf");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write config");
    path
}

/// A listener a test broker can have besides its plain MQTT one. The TLS
/// ones use the broker's [`TestCerts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Listener {
    /// MQTT over TLS with a certificate for `localhost` and `127.0.0.1`.
    Tls,
    /// MQTT over TLS that requires a client certificate from the test CA.
    MutualTls,
    /// MQTT over TLS with an expired certificate (otherwise valid).
    TlsExpired,
    /// MQTT over TLS with a certificate for [`TestCerts::OTHER_HOST`] only.
    TlsOtherHost,
    /// MQTT over WebSocket (any path).
    WebSocket,
    /// MQTT over WebSocket over TLS, with the `localhost` certificate.
    SecureWebSocket,
}

impl Listener {
    fn is_tls(self) -> bool {
        !matches!(self, Self::WebSocket)
    }
}

/// Appends the listeners' blocks: everything after a `listener` line
/// configures that listener, so they go after the global settings.
fn append_listeners(config_path: &Path, listeners: &[(Listener, u16)], certs: Option<&TestCerts>) {
    let mut text = std::fs::read_to_string(config_path).expect("read config");
    for &(listener, port) in listeners {
        text += &format!("listener {port} 127.0.0.1\n");
        if matches!(listener, Listener::WebSocket | Listener::SecureWebSocket) {
            // Without it the address is ignored and every interface bound.
            text += "protocol websockets\nsocket_domain ipv4\n";
        }
        if listener.is_tls() {
            let c = certs.expect("certificates for the TLS listeners");
            let (cert, key) = match listener {
                Listener::TlsExpired => (&c.expired_cert, &c.expired_key),
                Listener::TlsOtherHost => (&c.other_host_cert, &c.other_host_key),
                _ => (&c.server_cert, &c.server_key),
            };
            text += &format!(
                "cafile {}\ncertfile {}\nkeyfile {}\n",
                c.ca.display(),
                cert.display(),
                key.display()
            );
            if listener == Listener::MutualTls {
                text += "require_certificate true\n";
            }
        }
    }
    std::fs::write(config_path, text).expect("write config");
}

/// PEM files made with rcgen for the TLS tests: a CA, certificates it
/// signed (valid, expired, for another name, for a client), and a second
/// CA that signed nothing here.
#[derive(Debug, Clone)]
pub struct TestCerts {
    /// The test CA's certificate: trust it to verify the servers.
    pub ca: PathBuf,
    /// The server certificate: DNS `localhost` and IP `127.0.0.1`.
    pub server_cert: PathBuf,
    /// Its key.
    pub server_key: PathBuf,
    /// The same names, valid from 2000-01-01 to 2001-01-01.
    pub expired_cert: PathBuf,
    /// Its key.
    pub expired_key: PathBuf,
    /// A certificate for [`TestCerts::OTHER_HOST`] only.
    pub other_host_cert: PathBuf,
    /// Its key.
    pub other_host_key: PathBuf,
    /// A client certificate (CN `mqtt-test-client`) for mutual TLS.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// Another CA, which issued none of the above.
    pub unknown_ca: PathBuf,
    /// A client certificate issued by [`TestCerts::unknown_ca`].
    pub untrusted_client_cert: PathBuf,
    /// Its key.
    pub untrusted_client_key: PathBuf,
}

impl TestCerts {
    /// The only name in [`TestCerts::other_host_cert`].
    pub const OTHER_HOST: &'static str = "other-host.test";

    /// Writes fresh certificates and keys (ECDSA P-256) into `dir`.
    pub fn generate(dir: &Path) -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let write = |name: &str, pem: String| {
            let path = dir.join(name);
            std::fs::write(&path, pem).expect("write a test certificate");
            path
        };
        let ca = |cn: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, cn);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let key = KeyPair::generate().expect("CA key");
            let cert = params.self_signed(&key).expect("CA certificate");
            (cert.pem(), Issuer::new(params, key))
        };
        let leaf = |issuer: &Issuer<'_, KeyPair>,
                    names: &[&str],
                    cn: &str,
                    usage: ExtendedKeyUsagePurpose,
                    expired: bool| {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let mut params = CertificateParams::new(names).expect("certificate params");
            params.distinguished_name.push(DnType::CommonName, cn);
            params.extended_key_usages = vec![usage];
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if expired {
                params.not_before = rcgen::date_time_ymd(2000, 1, 1);
                params.not_after = rcgen::date_time_ymd(2001, 1, 1);
            }
            let key = KeyPair::generate().expect("key");
            let cert = params.signed_by(&key, issuer).expect("signed certificate");
            (cert.pem(), key.serialize_pem())
        };
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let (ca_pem, issuer) = ca("mqtt test CA");
        let (unknown_pem, unknown_issuer) = ca("mqtt unknown CA");
        let local = ["localhost", "127.0.0.1"];
        let (sc, sk) = leaf(&issuer, &local, "localhost", server.clone(), false);
        let (ec, ek) = leaf(&issuer, &local, "localhost", server.clone(), true);
        let (oc, ok) = leaf(
            &issuer,
            &[Self::OTHER_HOST],
            Self::OTHER_HOST,
            server,
            false,
        );
        let (cc, ck) = leaf(&issuer, &[], "mqtt-test-client", client.clone(), false);
        let (uc, uk) = leaf(&unknown_issuer, &[], "mqtt-untrusted-client", client, false);
        Self {
            ca: write("ca.crt", ca_pem),
            server_cert: write("server.crt", sc),
            server_key: write("server.key", sk),
            expired_cert: write("expired.crt", ec),
            expired_key: write("expired.key", ek),
            other_host_cert: write("other-host.crt", oc),
            other_host_key: write("other-host.key", ok),
            client_cert: write("client.crt", cc),
            client_key: write("client.key", ck),
            unknown_ca: write("unknown-ca.crt", unknown_pem),
            untrusted_client_cert: write("untrusted-client.crt", uc),
            untrusted_client_key: write("untrusted-client.key", uk),
        }
    }
}
