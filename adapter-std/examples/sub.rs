//! `mosquitto_sub` on the blocking client: subscribes to topics and prints
//! the messages that arrive, with mosquitto_sub 2.0's flags, output formats
//! and exit statuses (`sub --help` lists them; `cli/` has the details).
//!
//! ```text
//! cargo run -p adapter-std --example sub -- -h localhost -t 'demo/#' -v
//! cargo run -p adapter-std --example sub -- -t 'demo/#' -F '%I %t %p' -C 10
//! cargo run -p adapter-std --example sub -- -V 5 -t demo/a -F '%P %j' --pretty
//! cargo run -p adapter-std --example sub -- -L mqtt://localhost/demo/a -C 1 -W 10
//! cargo run -p adapter-std --example sub -- -h broker --cafile ca.crt --cert me.crt --key me.key -t 'demo/#'
//! ```
//!
//! How a run ends, as with mosquitto_sub:
//!
//! - after `-C` messages, after the SUBACK with `-E`, at the first
//!   non-retained message with `--retained-only`, or when the broker
//!   refuses every subscription: DISCONNECT, status 0;
//! - when `-W` runs out: DISCONNECT (5.0: "with will message"), "Timed
//!   out", status 27;
//! - a refused connection: "Connection error: ...", the CONNACK's code.
//!
//! A lost connection is re-established every second and the subscriptions
//! renewed (they are made in on_connect).
//!
//! libmosquitto hands mosquitto_sub a QoS 1 message once its PUBACK is
//! sent, and a QoS 2 message once its PUBCOMP is (when the broker's PUBREL
//! came); this client delivers a message on arrival and acknowledges it
//! after on_message, as Paho does. So `sub` keeps such a message until the
//! packet trace (always on, printed with `-d` only) shows that
//! acknowledgement, and handles it then: the order of the output, the
//! moment `-C` counts and the `-d` trace are mosquitto_sub's. Except with
//! `--session-dir` (mosquitto_sub has none): the session store counts a
//! message as received once on_message returned, so `sub` handles it
//! there, and a run killed before the acknowledgement neither loses it
//! nor prints it twice.

#[path = "cli/mod.rs"]
mod cli;

use adapter_std::{Client, Disconnection, Message, Mid, PublishOutcome};
use cli::config::{Config, Parsed};
use cli::connect::{self, Failure};
use cli::format::Received;
use cli::{help, Reporter, Tool};
use mqtt_proto::{
    topic_matches_sub, QoS, ReasonCode, RetainHandling, Subscription, SubscriptionOptions,
    TopicFilter,
};
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// mosquitto_sub's exit status when `-W` runs out (MOSQ_ERR_TIMEOUT).
const EXIT_TIMED_OUT: u8 = 27;

fn main() -> ExitCode {
    let config = match cli::config::parse_env(Tool::Sub) {
        Ok(Parsed::Run(config)) => config,
        Ok(Parsed::Help) => {
            print!("{}", help::usage(Tool::Sub));
            return ExitCode::from(cli::EXIT_FAILURE);
        }
        Ok(Parsed::Version) => {
            print!("{}", help::version(Tool::Sub));
            return ExitCode::from(cli::EXIT_FAILURE);
        }
        Err(e) => {
            e.print(Tool::Sub);
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    if config.no_retain && config.retained_only {
        eprint!("\nError: Combining '-R' and '--retained-only' makes no sense.\n");
        return ExitCode::from(cli::EXIT_FAILURE);
    }
    let reporter = Reporter {
        quiet: config.quiet,
    };
    match run(Arc::new(*config), reporter) {
        Ok(code) => code,
        Err(failure) => failure.report(reporter),
    }
}

/// What the callbacks share.
struct Shared {
    config: Arc<Config>,
    reporter: Reporter,
    state: Mutex<State>,
    /// The exit status, once the run is over (the callback that ends it
    /// has printed what it had to and sent DISCONNECT).
    end: Mutex<Sender<i32>>,
}

struct State {
    /// Still printing messages (mosquitto's `process_messages`).
    processing: bool,
    /// Messages handled, for `-C` (printed, or skipped by `--random-filter`).
    handled: u32,
    /// `--remove-retained` publishes not yet acknowledged.
    removals: usize,
    /// A refusal was reported (on_connect, on_disconnect and connect()
    /// all hear of it).
    refused: bool,
    /// `--random-filter`'s generator.
    random: u64,
    /// QoS 1 and 2 messages waiting for their PUBACK / PUBCOMP.
    held: Vec<Message>,
}

impl Shared {
    fn finish(&self, code: i32) {
        let _ = self.end.lock().unwrap().send(code);
    }

    /// DISCONNECT with `-D disconnect` properties, then exit with `code`.
    fn disconnect(&self, client: &Client, code: i32) {
        let _ = client.disconnect_with(ReasonCode::Success, self.config.props.disconnect.clone());
        self.finish(code);
    }

    /// A refusing CONNACK, reported once; no more reconnecting.
    fn refused(&self, client: &Client, reason: ReasonCode) {
        let first = !std::mem::replace(&mut self.state.lock().unwrap().refused, true);
        if first {
            let _ = client.disconnect();
            let failure = connect::refusal(reason, self.config.version);
            self.reporter.error(&failure.message);
            self.finish(failure.code);
        }
    }
}

fn run(config: Arc<Config>, reporter: Reporter) -> Result<ExitCode, Failure> {
    // The trace tells when libmosquitto would deliver a message.
    let mut options = connect::trace_packets(connect::options(&config)?);
    let timeout = config.timeout.map(|t| Duration::from_secs(t.into()));
    if let Some(t) = timeout {
        // -W bounds the whole run, the connection attempt included.
        options = options.connect_timeout(t);
    }
    let started = Instant::now();
    let endpoint = options.endpoint();
    let client = Client::new(options)
        .map_err(|e| connect::connect_failure(&e, &endpoint, config.version))?;
    let (tx, rx) = mpsc::channel();
    let shared = Arc::new(Shared {
        config: config.clone(),
        reporter,
        state: Mutex::new(State {
            processing: true,
            handled: 0,
            removals: 0,
            refused: false,
            random: seed(),
            held: Vec::new(),
        }),
        end: Mutex::new(tx),
    });
    install_callbacks(&client, &shared);

    match client.connect() {
        Ok(_) => {}
        Err(adapter_std::Error::Refused { reason, .. }) => {
            shared.refused(&client, reason);
            return Ok(cli::exit_code(
                connect::refusal(reason, config.version).code,
            ));
        }
        // mosquitto_sub exits at once (exit(-1)) when -W runs out before
        // the CONNACK.
        Err(adapter_std::Error::Timeout) if timeout.is_some() => return Ok(ExitCode::from(255)),
        Err(e) => return Err(connect::connect_failure(&e, &endpoint, config.version)),
    }
    if let Err(e) = client.loop_start() {
        return Err(Failure::new(format!("Error: {e}\n")));
    }

    let end = match timeout {
        Some(t) => rx.recv_timeout(t.saturating_sub(started.elapsed())),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
    let code = match end {
        Ok(code) => cli::exit_code(code),
        Err(_) => {
            // mosquitto_sub's alarm: DISCONNECT, in 5.0 with "Disconnect
            // with Will Message" (the broker then publishes the will).
            let reason = if config.version.is_v5() {
                ReasonCode::DisconnectWithWillMessage
            } else {
                ReasonCode::Success
            };
            let _ = client.disconnect_with(reason, config.props.disconnect.clone());
            reporter.error("Timed out\n");
            ExitCode::from(EXIT_TIMED_OUT)
        }
    };
    connect::close(&client);
    Ok(code)
}

fn install_callbacks(client: &Client, shared: &Arc<Shared>) {
    let s = shared.clone();
    // Subscribing in on_connect renews the subscriptions after every
    // reconnection, as mosquitto_sub does.
    client.on_connect(move |c, info| {
        if info.reason.is_error() {
            s.refused(c, info.reason);
            return;
        }
        if let Err(e) = subscribe(c, &s.config) {
            s.reporter.error(&format!("Error: {e}\n"));
            s.disconnect(c, cli::EXIT_FAILURE.into());
        }
    });

    let s = shared.clone();
    client.on_disconnect(move |c, why| {
        if let Disconnection::Refused { reason, .. } = why {
            s.refused(c, *reason);
        }
    });

    let s = shared.clone();
    client.on_subscribe(move |c, mid, reasons, _| on_subscribe(&s, c, mid, reasons));

    let s = shared.clone();
    client.on_message(move |c, m| {
        // With --session-dir, the store counts a QoS 2 message as
        // received once on_message returns: kept for its PUBCOMP, it
        // would be lost by a kill in between (the next run only sees
        // the broker's PUBREL). So it is handled here, as Paho would.
        if m.qos() == QoS::AtMostOnce || s.config.session_dir.is_some() {
            on_message(&s, c, m);
        } else {
            s.state.lock().unwrap().held.push(m.clone());
        }
    });

    let s = shared.clone();
    client.on_log(move |c, level, line| {
        let Some(line) = connect::packet_line(level, line) else {
            return;
        };
        if s.config.debug {
            connect::print_line(line);
        }
        if let Some((qos, packet_id)) = connect::acknowledged(line) {
            let released = {
                let mut state = s.state.lock().unwrap();
                let held = &mut state.held;
                held.iter()
                    .position(|m| {
                        m.qos() == qos && m.packet_id().map(|p| p.get()) == Some(packet_id)
                    })
                    .map(|i| held.remove(i))
            };
            if let Some(m) = released {
                on_message(&s, c, &m);
            }
        }
    });

    let s = shared.clone();
    client.on_publish(move |c, _, _: &PublishOutcome| {
        // Only --remove-retained publishes.
        let mut state = s.state.lock().unwrap();
        state.removals = state.removals.saturating_sub(1);
        if !state.processing && state.removals == 0 {
            drop(state);
            s.disconnect(c, 0);
        }
    });
}

/// One SUBSCRIBE for every `-t`, then one UNSUBSCRIBE per `-U`.
fn subscribe(client: &Client, config: &Config) -> Result<(), adapter_std::Error> {
    let v5 = config.version.is_v5();
    let subscriptions = config
        .topics
        .iter()
        .map(|t| {
            let filter = TopicFilter::with_version(t.as_str(), config.version)?;
            let mut options = SubscriptionOptions::new(config.qos);
            if v5 {
                options.retain_as_published = config.retain_as_published;
                if config.no_retain {
                    options.retain_handling = RetainHandling::DoNotSend;
                }
            }
            Ok(Subscription { filter, options })
        })
        .collect::<Result<Vec<_>, adapter_std::Error>>()?;
    client.subscribe_with(subscriptions, config.props.subscribe.clone())?;
    for t in &config.unsub_topics {
        let filter = TopicFilter::with_version(t.as_str(), config.version)?;
        client.unsubscribe_with(vec![filter], config.props.unsubscribe.clone())?;
    }
    Ok(())
}

/// `-d` prints "Subscribed (mid: 1): 0, 1"; every filter refused ends
/// the run, and so does the SUBACK with `-E`.
fn on_subscribe(shared: &Shared, client: &Client, mid: Mid, reasons: &[ReasonCode]) {
    let config = &shared.config;
    if config.debug && !config.quiet {
        let codes: Vec<String> = reasons.iter().map(|r| r.as_u8().to_string()).collect();
        let mid = mid.packet_id().map_or(mid.get(), |p| p.get().into());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Subscribed (mid: {mid}): {}", codes.join(", "))
            .and_then(|_| out.flush());
    }
    if !reasons.is_empty() && reasons.iter().all(|r| r.is_error()) {
        shared.disconnect(client, 0);
        shared
            .reporter
            .error("All subscription requests were denied.\n");
    }
    if config.exit_after_sub {
        shared.disconnect(client, 0);
    }
}

/// mosquitto_sub's `my_message_callback`: filters, prints, counts.
/// Called when libmosquitto would call it (see the module docs).
fn on_message(shared: &Shared, client: &Client, m: &Message) {
    let config = &shared.config;
    let mut state = shared.state.lock().unwrap();
    if !state.processing {
        return;
    }
    if config.retained_only && !m.retain() {
        state.processing = false;
        if state.removals == 0 {
            drop(state);
            shared.disconnect(client, 0);
        }
        return;
    }
    if m.retain() && config.no_retain {
        return;
    }
    if config
        .filter_outs
        .iter()
        .any(|f| topic_matches_sub(f, m.topic()))
    {
        return;
    }
    // Cleared with an empty retained message, as mosquitto_sub does.
    let removal = config.remove_retained && m.retain();
    if removal
        && client
            .publish(m.topic(), Vec::new(), QoS::AtLeastOnce, true)
            .is_ok()
    {
        state.removals += 1;
    }
    // --random-filter skips the printing, not the counting (mosquitto's
    // print_message draws the lot).
    if state.chosen(config.random_filter) && print(shared, m).is_err() {
        // A closed pipe (`sub | head -1`) ends the run, as in mosquitto_sub.
        state.processing = false;
        drop(state);
        shared.disconnect(client, 0);
        return;
    }
    if config.msg_count > 0 {
        state.handled += 1;
        if state.handled == config.msg_count {
            state.processing = false;
            if state.removals == 0 {
                drop(state);
                shared.disconnect(client, 0);
            }
        }
    }
}

/// Prints `m` as `-v`, `-N` and `-F` say.
fn print(shared: &Shared, m: &Message) -> std::io::Result<()> {
    let config = &shared.config;
    let received = Received {
        topic: m.topic(),
        payload: m.payload(),
        qos: m.qos() as u8,
        retain: m.retain(),
        mid: m.packet_id().map_or(0, |p| p.get()),
        properties: Some(m.properties()).filter(|p| config.version.is_v5() && !p.is_empty()),
    };
    let (bytes, warnings) = config
        .output
        .render(&received, &cli::clock::Timestamp::now());
    for w in warnings {
        shared.reporter.error(&w.0);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes).and_then(|_| out.flush())
}

impl State {
    /// `--random-filter`: whether this message is printed (mosquitto:
    /// `random() % 10000 < chance`).
    fn chosen(&mut self, chance: u32) -> bool {
        if chance >= 10_000 {
            return true;
        }
        // xorshift64*
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        let r = self.random.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 33) % 10_000 < u64::from(chance)
    }
}

fn seed() -> u64 {
    let now = cli::clock::Timestamp::now();
    (now.nanos as u64) << 32 ^ u64::from(std::process::id()) | 1
}
