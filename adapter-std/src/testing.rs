//! A Mosquitto broker for tests (feature `testing`): started on a free
//! loopback port with a generated configuration, stopped on drop.
//!
//! A missing `mosquitto` binary is a panic with a clear message, never a
//! silent skip.

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
        for _ in 0..5 {
            let port = free_port();
            let config_path = write_config(&dir, port, &config);
            let mut broker = Broker {
                child: None,
                port,
                dir: dir.clone(),
                config_path,
            };
            broker.spawn();
            if broker.wait_ready(Duration::from_secs(5)) {
                return broker;
            }
            // Someone took the port between our probe and the broker's bind.
            broker.kill();
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
        let child = Command::new(binary)
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
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
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

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
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
