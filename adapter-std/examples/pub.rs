//! `mosquitto_pub` on the blocking client: publishes a message (or one per
//! line of stdin) and waits until the broker has it before disconnecting.
//!
//! ```text
//! cargo run -p adapter-std --example pub -- -h localhost -t demo/a -m hello -q 1
//! cargo run -p adapter-std --example pub -- --url mqtt://alice:secret@localhost/demo/a -m hi -r
//! printf 'one\ntwo\n' | cargo run -p adapter-std --example pub -- -t demo/lines -l -q 2
//! cargo run -p adapter-std --example pub -- --url mqtts://broker:8883/demo/a --cafile ca.crt -m hi
//! cargo run -p adapter-std --example pub -- --url wss://broker/mqtt --cafile ca.crt -t demo/a -m hi
//! ```

#[path = "cli/mod.rs"]
mod cli;

use adapter_std::{Client, Disconnection, MessageHandle, PublishFailure, PublishOutcome};
use bytes::Bytes;
use cli::{Args, Connection};
use mqtt_proto::{QoS, TopicName};
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PROGRAM: &str = "pub";

fn help() -> String {
    format!(
        "pub: publishes a message on a topic, waits until it is delivered, and exits
(mosquitto_pub's flags).

Usage: pub {{[-h host] [-p port] [-u user] [-P password] -t topic | --url URL}}
           {{-m message | -f file | -n | -s | -l}}
           [-q qos] [-r] [-V 31|311|5] [-i id] [-k keepalive] [-c] [-x expiry] [-d]
           [--cafile file] [--cert file --key file] [--insecure]

 -t TOPIC     topic to publish to
 -m MESSAGE   the message
 -f FILE      send the contents of FILE as the message
 -n           send a null (zero length) message
 -s           send all of stdin as one message
 -l           send each line of stdin as a message, as it arrives (a blank line
              is a zero-length message, as mosquitto_pub 2.0 sends it)
 -q QOS       quality of service 0, 1 or 2 (default 0)
 -r           retain the message
{}

Exit status: 0 once every message is delivered (QoS 0: written, QoS 1: PUBACK,
QoS 2: PUBCOMP), 1 on a usage, connection or delivery error.",
        cli::CONNECTION_HELP
    )
}

/// Where the messages come from.
enum Source {
    Message(Bytes),
    File(String),
    Null,
    Stdin,
    Lines,
}

struct Config {
    connection: Connection,
    topic: TopicName,
    source: Source,
    qos: QoS,
    retain: bool,
}

fn parse(args: &mut Args) -> Result<Option<Config>, String> {
    let mut connection = Connection::default();
    let (mut topic, mut source, mut qos, mut retain) = (None, None, QoS::AtMostOnce, false);
    let set_source = |source: &mut Option<Source>, s: Source| {
        if source.replace(s).is_some() {
            return Err("Only one type of message can be sent at once.".to_string());
        }
        Ok(())
    };
    while let Some(flag) = args.next_arg() {
        if connection.parse_flag(&flag, args)? {
            continue;
        }
        match flag.as_str() {
            "--help" => return Ok(None),
            "-t" | "--topic" => {
                if topic.replace(args.value(&flag)?).is_some() {
                    return Err("Only one topic can be given.".into());
                }
            }
            "-m" | "--message" => {
                set_source(&mut source, Source::Message(args.value(&flag)?.into()))?
            }
            "-f" | "--file" => set_source(&mut source, Source::File(args.value(&flag)?))?,
            "-n" | "--null-message" => set_source(&mut source, Source::Null)?,
            "-s" | "--stdin-file" => set_source(&mut source, Source::Stdin)?,
            "-l" | "--stdin-line" => set_source(&mut source, Source::Lines)?,
            "-q" | "--qos" => qos = cli::parse_qos(&args.value(&flag)?)?,
            "-r" | "--retain" => retain = true,
            other => return Err(format!("Unknown option '{other}'.")),
        }
    }
    let topic = match (topic, connection.url_topic()?) {
        (Some(_), Some(_)) => return Err("give the topic either with -t or in --url".into()),
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return Err("Both topic and message must be supplied.".into()),
    };
    let topic =
        TopicName::new(topic.as_str()).map_err(|e| format!("invalid topic {topic:?}: {e}"))?;
    let source = source.ok_or("Both topic and message must be supplied.")?;
    // Options are checked now, so a bad combination fails before connecting.
    connection.options()?;
    Ok(Some(Config {
        connection,
        topic,
        source,
        qos,
        retain,
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
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::runtime_error(&e),
    }
}

/// Messages published but not yet confirmed, oldest first. The bound keeps
/// `-l` on an endless stdin from queueing without limit: past it, a new
/// line waits for the oldest message.
const MAX_PENDING: usize = 1000;

fn run(config: Config) -> Result<(), String> {
    // Read a file or stdin before connecting, so that a missing file costs
    // no connection.
    let payload = match &config.source {
        Source::Message(m) => Some(m.clone()),
        Source::Null => Some(Bytes::new()),
        Source::File(path) => Some(
            std::fs::read(path)
                .map_err(|e| format!("cannot read {path:?}: {e}"))?
                .into(),
        ),
        Source::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            Some(buf.into())
        }
        Source::Lines => None,
    };
    let debug = config.connection.debug;
    let client = Client::new(config.connection.options()?).map_err(|e| e.to_string())?;
    if debug {
        cli::log_to_stderr(&client, PROGRAM);
        client.on_publish(|_, id, outcome| eprintln!("{PROGRAM}: message {id:?}: {outcome:?}"));
    }
    // mosquitto_pub gives up when the connection drops; the client would
    // reconnect and resend, but a one-shot tool should say so and stop.
    let lost = Arc::new(Mutex::new(None::<String>));
    let l = lost.clone();
    client.on_disconnect(move |_, why| {
        if !matches!(why, Disconnection::Local { .. }) {
            *l.lock().unwrap() = Some(format!("{why:?}"));
        }
    });
    client
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))?;
    client.loop_start().map_err(|e| e.to_string())?;

    let result = publish_all(&client, &config, payload, &lost);
    let _ = client.disconnect();
    let _ = client.loop_stop();
    result
}

fn publish_all(
    client: &Client,
    config: &Config,
    payload: Option<Bytes>,
    lost: &Mutex<Option<String>>,
) -> Result<(), String> {
    let mut pending = VecDeque::new();
    let publish = |payload: Bytes, pending: &mut VecDeque<MessageHandle>| {
        if pending.len() >= MAX_PENDING {
            wait(pending.pop_front().expect("not empty"), lost)?;
        }
        let handle = client
            .publish(config.topic.as_str(), payload, config.qos, config.retain)
            .map_err(|e| format!("cannot publish: {e}"))?;
        pending.push_back(handle);
        Ok::<_, String>(())
    };
    match payload {
        Some(payload) => publish(payload, &mut pending)?,
        None => {
            let mut stdin = std::io::stdin().lock();
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = stdin
                    .read_until(b'\n', &mut line)
                    .map_err(|e| format!("cannot read stdin: {e}"))?;
                if n == 0 {
                    break;
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                publish(Bytes::copy_from_slice(&line), &mut pending)?;
            }
        }
    }
    pending.into_iter().try_for_each(|h| wait(h, lost))
}

/// Waits for one message, failing if the connection is lost meanwhile.
fn wait(handle: MessageHandle, lost: &Mutex<Option<String>>) -> Result<(), String> {
    loop {
        match handle.wait_for_publish(Some(Duration::from_millis(100))) {
            Some(PublishOutcome::Delivered { .. }) => return Ok(()),
            Some(PublishOutcome::Failed(PublishFailure::Rejected { reason, properties })) => {
                let detail = properties
                    .reason_string
                    .as_ref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default();
                return Err(format!("the broker refused the message: {reason}{detail}"));
            }
            Some(PublishOutcome::Failed(why)) => {
                return Err(format!("message not delivered: {why:?}"))
            }
            None => {
                if let Some(why) = lost.lock().unwrap().as_ref() {
                    return Err(format!("connection lost before delivery: {why}"));
                }
            }
        }
    }
}
