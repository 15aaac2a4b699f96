//! `mosquitto_pub` on the blocking client: publishes a message (or one per
//! line of stdin) and waits until the broker has it before disconnecting,
//! with mosquitto_pub 2.0's flags, messages and exit statuses (`pub
//! --help` lists them; `cli/` has the details).
//!
//! ```text
//! cargo run -p adapter-std --example pub -- -h localhost -t demo/a -m hello -q 1
//! cargo run -p adapter-std --example pub -- -L mqtt://alice:secret@localhost/demo/a -m hi -r
//! printf 'one\ntwo\n' | cargo run -p adapter-std --example pub -- -t demo/lines -l -q 2
//! cargo run -p adapter-std --example pub -- -V 5 -t demo/a -m hi -D publish user-property k v
//! cargo run -p adapter-std --example pub -- -t demo/a -m tick --repeat 5 --repeat-delay 1
//! cargo run -p adapter-std --example pub -- -L mqtts://broker:8883/demo/a --cafile ca.crt -m hi
//! ```
//!
//! A message is done when QoS 0 is written, QoS 1 has its PUBACK and QoS 2
//! its PUBCOMP; `--repeat` publishes the next one then (after
//! `--repeat-delay`). A 5.0 broker refusing a message ("Warning: Publish 1
//! failed: Not authorized.") does not change the exit status, as with
//! mosquitto_pub; a lost connection ends the run with "Error: The
//! connection was lost." and status 7.

#[path = "cli/mod.rs"]
mod cli;

use adapter_std::{Client, Disconnection, MessageHandle, PublishFailure, PublishOutcome};
use cli::config::{Config, Parsed, Source};
use cli::connect::{self, Failure};
use cli::{help, Reporter, Tool};
use mqtt_proto::{ReasonCode, TopicName};
use mqtt_session::OutboundMessage;
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// mosquitto_pub's exit status for a connection lost before every message
/// was delivered (MOSQ_ERR_CONN_LOST).
const EXIT_CONNECTION_LOST: i32 = 7;

fn main() -> ExitCode {
    let config = match cli::config::parse_env(Tool::Pub) {
        Ok(Parsed::Run(config)) => config,
        Ok(Parsed::Help) => {
            print!("{}", help::usage(Tool::Pub));
            return ExitCode::from(cli::EXIT_FAILURE);
        }
        Ok(Parsed::Version) => {
            print!("{}", help::version(Tool::Pub));
            return ExitCode::from(cli::EXIT_FAILURE);
        }
        Err(e) => {
            e.print(Tool::Pub);
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    let reporter = Reporter {
        quiet: config.quiet,
    };
    // A file or stdin is read before connecting (and before the check
    // that a topic and a message were given, as mosquitto_pub does).
    let payload = match load(&config) {
        Ok(payload) => payload,
        Err(message) => {
            reporter.error(&message);
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    if config.topic.is_none() || config.source.is_none() {
        eprintln!("Error: Both topic and message must be supplied.");
        print!("{}", help::usage(Tool::Pub));
        return ExitCode::from(cli::EXIT_FAILURE);
    }
    match run(&config, payload, reporter) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(reporter),
    }
}

/// The payload of `-m`, `-f`, `-s` and `-n`; `None` for `-l` (read as it
/// comes) or no message at all.
fn load(config: &Config) -> Result<Option<Vec<u8>>, String> {
    Ok(match &config.source {
        Some(Source::Message(m)) => Some(m.clone()),
        Some(Source::Null) => Some(Vec::new()),
        Some(Source::File(path)) => match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                let name = path.display();
                return Err(format!(
                    "Error: Unable to open file \"{name}\".\nError loading input file \"{name}\".\n"
                ));
            }
        },
        Some(Source::Stdin) => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|_| "Error loading input from stdin.\n".to_string())?;
            Some(buf)
        }
        Some(Source::Lines) | None => None,
    })
}

fn run(config: &Config, payload: Option<Vec<u8>>, reporter: Reporter) -> Result<(), Failure> {
    let mut options = connect::options(config)?;
    if config.debug {
        options = connect::trace_packets(options);
    }
    let endpoint = options.endpoint();
    let client = Client::new(options)
        .map_err(|e| connect::connect_failure(&e, &endpoint, config.version))?;
    if config.debug {
        connect::print_trace(&client);
    }
    // mosquitto_pub gives up when the connection drops.
    let lost = Arc::new(AtomicBool::new(false));
    let l = lost.clone();
    client.on_disconnect(move |_, why| {
        if !matches!(why, Disconnection::Local { .. }) {
            l.store(true, Ordering::SeqCst);
        }
    });
    match client.connect() {
        Ok(_) => {}
        Err(adapter_std::Error::Refused { reason, .. }) => {
            let mut failure = connect::refusal(reason, config.version);
            // mosquitto_pub's loop then fails as well, and says so.
            failure.message.push_str(if config.version.is_v5() {
                "Error: A network protocol error occurred when communicating with the broker.\n"
            } else {
                "Error: The connection was refused.\n"
            });
            return Err(failure);
        }
        Err(e) => return Err(connect::connect_failure(&e, &endpoint, config.version)),
    }
    client
        .loop_start()
        .map_err(|e| Failure::new(format!("Error: {e}\n")))?;

    let mut publisher = Publisher {
        client: &client,
        config,
        reporter,
        lost: &lost,
        pending: VecDeque::new(),
        sent: 0,
    };
    let result = match TopicName::new(config.topic.clone().unwrap_or_default()) {
        Ok(topic) => publisher.publish_all(&topic, payload),
        Err(_) => {
            reporter.error("Error: Invalid input. Does your topic contain '+' or '#'?\n");
            Ok(())
        }
    };
    let _ = client.disconnect_with(ReasonCode::Success, config.props.disconnect.clone());
    connect::close(&client);
    result
}

/// Messages published but not yet done, oldest first, beyond which a new
/// line of `-l` waits for the oldest (an endless stdin never queues
/// without limit).
const MAX_PENDING: usize = 1000;

struct Publisher<'a> {
    client: &'a Client,
    config: &'a Config,
    reporter: Reporter,
    lost: &'a AtomicBool,
    /// Published, not yet done, with their mosquitto mid.
    pending: VecDeque<(u64, MessageHandle)>,
    /// Messages published so far (mosquitto's mids count them from 1).
    sent: u64,
}

impl Publisher<'_> {
    fn publish_all(&mut self, topic: &TopicName, payload: Option<Vec<u8>>) -> Result<(), Failure> {
        match payload {
            Some(payload) => {
                for n in 0..self.config.repeat_count {
                    if n > 0 {
                        std::thread::sleep(self.config.repeat_delay);
                    }
                    self.publish(topic, payload.clone())?;
                    self.wait_all()?;
                }
            }
            None => {
                let mut stdin = std::io::stdin().lock();
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match stdin.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    if self.pending.len() >= MAX_PENDING {
                        self.wait_oldest()?;
                    }
                    self.publish(topic, line.clone())?;
                }
                self.wait_all()?;
            }
        }
        Ok(())
    }

    fn publish(&mut self, topic: &TopicName, payload: Vec<u8>) -> Result<(), Failure> {
        let mut message = OutboundMessage::new(topic.clone(), payload)
            .qos(self.config.qos)
            .retain(self.config.retain);
        if self.config.version.is_v5() {
            message.properties = self.config.props.publish.clone().into();
        }
        self.sent += 1;
        let handle = self
            .client
            .publish_message(message)
            .map_err(|e| Failure::new(format!("Error: {e}\n")))?;
        self.pending.push_back((self.sent, handle));
        Ok(())
    }

    fn wait_all(&mut self) -> Result<(), Failure> {
        while !self.pending.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    /// Waits for the oldest message; a refusal is a warning, a lost
    /// connection the end.
    fn wait_oldest(&mut self) -> Result<(), Failure> {
        let Some((mid, handle)) = self.pending.pop_front() else {
            return Ok(());
        };
        let outcome = loop {
            if let Some(outcome) = handle.wait_for_publish(Some(Duration::from_millis(100))) {
                break outcome;
            }
            if self.lost.load(Ordering::SeqCst) {
                return Err(Failure {
                    message: "Error: The connection was lost.\n".into(),
                    code: EXIT_CONNECTION_LOST,
                });
            }
        };
        match outcome {
            PublishOutcome::Delivered { reason, properties } if reason.is_error() => self.warn(
                mid,
                reason,
                properties.reason_string.as_ref().map(|s| s.as_str()),
            ),
            PublishOutcome::Delivered { .. } => {}
            PublishOutcome::Failed(PublishFailure::Rejected { reason, properties }) => self.warn(
                mid,
                reason,
                properties.reason_string.as_ref().map(|s| s.as_str()),
            ),
            PublishOutcome::Failed(other) => {
                self.reporter
                    .error(&format!("Warning: Publish {mid} failed: {other:?}.\n"));
            }
        }
        Ok(())
    }

    /// mosquitto_pub's warning for a PUBACK / PUBREC with a failure code.
    fn warn(&self, mid: u64, reason: ReasonCode, reason_string: Option<&str>) {
        let text = connect::reason_string(reason.as_u8());
        self.reporter
            .error(&format!("Warning: Publish {mid} failed: {text}.\n"));
        if let Some(s) = reason_string {
            self.reporter.error(&format!("{s}\n"));
        }
    }
}
