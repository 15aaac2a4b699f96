//! `mosquitto_sub` on the blocking client: subscribes and prints every
//! message, until a count (`-C`) or a timeout (`-W`, exit status 27 as
//! mosquitto_sub) ends it, or forever.
//!
//! ```text
//! cargo run -p adapter-std --example sub -- -h localhost -t 'demo/#' -v
//! cargo run -p adapter-std --example sub -- --url mqtt://localhost:1883/demo/a -C 1 -W 10
//! cargo run -p adapter-std --example sub -- --url ws://localhost:8080/mqtt -t 'demo/#' -v
//! cargo run -p adapter-std --example sub -- -h broker --cafile ca.crt --cert me.crt --key me.key -t 'demo/#'
//! ```

#[path = "cli/mod.rs"]
mod cli;

use adapter_std::{Client, Disconnection, Message};
use cli::{Args, Connection};
use mqtt_proto::{QoS, ReasonCode, TopicFilter};
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

const PROGRAM: &str = "sub";

/// mosquitto_sub's exit status when `-W` runs out (MOSQ_ERR_TIMEOUT).
const EXIT_TIMED_OUT: u8 = 27;

fn help() -> String {
    format!(
        "sub: subscribes to topics and prints the messages that arrive
(mosquitto_sub's flags).

Usage: sub {{[-h host] [-p port] [-u user] [-P password] -t topic ... | --url URL}}
           [-q qos] [-v] [-C count] [-W timeout] [-V 31|311|5] [-i id] [-k keepalive]
           [-c] [-x expiry] [-d] [--cafile file] [--cert file --key file] [--insecure]

 -t FILTER    topic filter to subscribe to; repeat for several
 -q QOS       maximum QoS of the subscriptions, 0, 1 or 2 (default 0)
 -v           print the topic before each payload: \"topic payload\"
              (\"topic (null)\" for an empty payload)
 -C COUNT     exit after COUNT messages
 -W SECONDS   exit with status {EXIT_TIMED_OUT} (\"Timed out\") if still running after SECONDS
{}

Payloads are printed as they are, one per line; without -v an empty payload
prints nothing, as mosquitto_sub does. Lost connections are re-established.
Exit status: 0 after -C messages, {EXIT_TIMED_OUT} on -W timeout, 1 on a usage or
connection error, or when the broker refuses every subscription.",
        cli::CONNECTION_HELP
    )
}

struct Config {
    connection: Connection,
    filters: Vec<String>,
    qos: QoS,
    verbose: bool,
    count: Option<u64>,
    timeout: Option<Duration>,
}

fn parse(args: &mut Args) -> Result<Option<Config>, String> {
    let mut connection = Connection::default();
    let mut filters = Vec::new();
    let (mut qos, mut verbose, mut count, mut timeout) = (QoS::AtMostOnce, false, None, None);
    while let Some(flag) = args.next_arg() {
        if connection.parse_flag(&flag, args)? {
            continue;
        }
        match flag.as_str() {
            "--help" => return Ok(None),
            "-t" | "--topic" => filters.push(args.value(&flag)?),
            "-q" | "--qos" => qos = cli::parse_qos(&args.value(&flag)?)?,
            "-v" | "--verbose" => verbose = true,
            "-C" => {
                let n: u64 = args.number(&flag)?;
                if n == 0 {
                    return Err("-C needs a count of at least 1".into());
                }
                count = Some(n);
            }
            "-W" => {
                let secs: u64 = args.number(&flag)?;
                if secs == 0 {
                    return Err("-W needs a timeout of at least 1 second".into());
                }
                timeout = Some(Duration::from_secs(secs));
            }
            other => return Err(format!("Unknown option '{other}'.")),
        }
    }
    filters.extend(connection.url_topic()?);
    if filters.is_empty() {
        return Err("You must specify a topic to subscribe to.".into());
    }
    for f in &filters {
        TopicFilter::new(f.as_str()).map_err(|e| format!("invalid topic filter {f:?}: {e}"))?;
    }
    connection.options()?;
    Ok(Some(Config {
        connection,
        filters,
        qos,
        verbose,
        count,
        timeout,
    }))
}

fn main() -> ExitCode {
    let config = match Args::from_env().and_then(|mut a| parse(&mut a)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{}", help());
            return ExitCode::SUCCESS;
        }
        Err(e) => return cli::usage_error(PROGRAM, &e),
    };
    run(config)
}

/// What the callbacks tell the main thread.
enum Note {
    Message(Box<Message>),
    /// Something that ends the program with an error.
    Fatal(String),
}

fn run(config: Config) -> ExitCode {
    let started = Instant::now();
    let deadline = config.timeout.map(|t| started + t);
    let mut options = match config.connection.options() {
        Ok(o) => o,
        Err(e) => return cli::usage_error(PROGRAM, &e),
    };
    if let Some(t) = config.timeout {
        // -W bounds the whole run, the connection attempt included.
        options = options.connect_timeout(t);
    }
    let client = match Client::new(options) {
        Ok(c) => c,
        Err(e) => return cli::runtime_error(&e.to_string()),
    };
    let debug = config.connection.debug;
    if debug {
        cli::log_to_stderr(&client, PROGRAM);
    }

    let (tx, rx) = mpsc::channel();
    // Subscribing in on_connect renews the subscriptions after every
    // reconnection, as mosquitto_sub does.
    let filters: Vec<(String, QoS)> = config
        .filters
        .iter()
        .map(|f| (f.clone(), config.qos))
        .collect();
    let on_connect_tx = tx.clone();
    client.on_connect(move |c, _| {
        let list: Vec<(&str, QoS)> = filters.iter().map(|(f, q)| (f.as_str(), *q)).collect();
        if let Err(e) = c.subscribe_many(&list) {
            let _ = on_connect_tx.send(Note::Fatal(format!("cannot subscribe: {e}")));
        }
    });
    let on_subscribe_tx = tx.clone();
    let names = config.filters.clone();
    client.on_subscribe(move |_, packet_id, reasons, _| {
        if debug {
            let granted: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
            eprintln!(
                "{PROGRAM}: subscribed (packet id {packet_id}): {}",
                granted.join(", ")
            );
        }
        report_refusals(&names, reasons, &on_subscribe_tx);
    });
    let on_disconnect_tx = tx.clone();
    client.on_disconnect(move |_, why| match why {
        Disconnection::Local { .. } => {}
        // Trying again would be refused again (bad credentials, banned ...).
        Disconnection::Refused { reason, .. } => {
            let _ = on_disconnect_tx.send(Note::Fatal(format!("connection refused: {reason}")));
        }
        other => eprintln!("{PROGRAM}: connection lost ({other:?}); reconnecting"),
    });
    client.on_message(move |_, m| {
        let _ = tx.send(Note::Message(Box::new(m.clone())));
    });

    if let Err(e) = client.connect() {
        return cli::runtime_error(&format!("cannot connect: {e}"));
    }
    if let Err(e) = client.loop_start() {
        return cli::runtime_error(&e.to_string());
    }

    let outcome = receive(&rx, &config, deadline);
    let _ = client.disconnect();
    let _ = client.loop_stop();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(None) => {
            eprintln!("Timed out");
            ExitCode::from(EXIT_TIMED_OUT)
        }
        Err(Some(e)) => cli::runtime_error(&e),
    }
}

/// Prints messages until the count is reached. `Err(None)` is the -W timeout.
fn receive(
    rx: &mpsc::Receiver<Note>,
    config: &Config,
    deadline: Option<Instant>,
) -> Result<(), Option<String>> {
    let mut received = 0u64;
    let stdout = std::io::stdout();
    loop {
        let note = match deadline {
            Some(d) => match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(note) => note,
                Err(RecvTimeoutError::Timeout) => return Err(None),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Some("the client stopped".into()))
                }
            },
            None => rx
                .recv()
                .map_err(|_| Some("the client stopped".to_string()))?,
        };
        let m = match note {
            Note::Message(m) => m,
            Note::Fatal(e) => return Err(Some(e)),
        };
        let mut out = stdout.lock();
        let written = print_message(&mut out, &m, config.verbose).and_then(|_| out.flush());
        // A closed pipe (`sub | head -1`) ends the program quietly.
        if written.is_err() {
            return Ok(());
        }
        received += 1;
        if config.count == Some(received) {
            return Ok(());
        }
    }
}

/// mosquitto_sub's format: `payload`, or `topic payload` with -v.
fn print_message(out: &mut impl Write, m: &Message, verbose: bool) -> std::io::Result<()> {
    if verbose {
        write!(out, "{} ", m.topic())?;
        if m.payload().is_empty() {
            out.write_all(b"(null)")?;
        } else {
            out.write_all(m.payload())?;
        }
        out.write_all(b"\n")
    } else if m.payload().is_empty() {
        Ok(())
    } else {
        out.write_all(m.payload())?;
        out.write_all(b"\n")
    }
}

/// Refused filters are reported; refusing them all ends the program, since
/// nothing could ever arrive.
fn report_refusals(filters: &[String], reasons: &[ReasonCode], tx: &mpsc::Sender<Note>) {
    let mut refused = 0;
    for (filter, reason) in filters.iter().zip(reasons) {
        if reason.is_error() {
            refused += 1;
            eprintln!("{PROGRAM}: subscription to {filter:?} refused: {reason}");
        }
    }
    if refused == reasons.len() && !reasons.is_empty() {
        let _ = tx.send(Note::Fatal("All subscription requests were denied.".into()));
    }
}
