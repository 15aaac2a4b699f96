//! Decodes MQTT packets from hex and prints them, or the first error.
//!
//! Each argument, or each line of standard input when there are none, is one
//! packet stream in hex (spaces, colons and a `0x` prefix are ignored).
//!
//! ```text
//! cargo run -p mqtt-proto --example inspect -- -V 5 '30 0a 00 03 61 2f 62 00 68 69 21 21'
//! echo 'c0 00 d0 00' | cargo run -p mqtt-proto --example inspect
//! ```

use bytes::BytesMut;
use mqtt_proto::{Decoder, Packet, ProtocolVersion};
use std::io::BufRead;
use std::process::ExitCode;

const USAGE: &str = "usage: inspect [-V 31|311|5] [--max-packet-size N] [HEX ...]
Decodes each HEX argument (or each line of stdin) as a stream of MQTT packets.
  -V VERSION            protocol version: 31, 311 (default) or 5
  --max-packet-size N   refuse packets larger than N bytes";

fn parse_hex(line: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = line
        .split_whitespace()
        .map(|word| word.trim_start_matches("0x").trim_start_matches("0X"))
        .collect::<String>()
        .replace([':', ','], "");
    if !cleaned.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", cleaned.len()));
    }
    (0..cleaned.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&cleaned[i..i + 2], 16)
                .map_err(|_| format!("not hex: {:?}", &cleaned[i..i + 2]))
        })
        .collect()
}

fn parse_version(s: &str) -> Option<ProtocolVersion> {
    match s {
        "31" | "3.1" | "3" => Some(ProtocolVersion::V3_1),
        "311" | "3.1.1" | "4" => Some(ProtocolVersion::V3_1_1),
        "5" | "5.0" => Some(ProtocolVersion::V5),
        _ => None,
    }
}

/// Prints every packet of one stream; returns false if the stream is broken.
fn inspect(stream: &[u8], decoder: &mut Decoder) -> bool {
    let mut buf = BytesMut::from(stream);
    let mut offset = 0;
    loop {
        let before = buf.len();
        match decoder.decode(&mut buf) {
            Ok(Some(packet)) => {
                let size = before - buf.len();
                println!(
                    "@{offset} {} ({size} bytes, MQTT {})",
                    packet.packet_type(),
                    decoder.version()
                );
                print_packet(&packet);
                offset += size;
            }
            Ok(None) if buf.is_empty() => return true,
            Ok(None) => {
                println!(
                    "@{offset} incomplete: {} bytes of a packet, more needed",
                    buf.len()
                );
                return false;
            }
            Err(e) => {
                println!(
                    "@{offset} error: {e}\n  a receiver answers with reason code {}",
                    e.reason_code()
                );
                return false;
            }
        }
    }
}

fn print_packet(packet: &Packet) {
    let text = match packet {
        Packet::PingReq | Packet::PingResp => return,
        Packet::Publish(p) => {
            let payload = match std::str::from_utf8(&p.payload) {
                Ok(s) => format!("{s:?}"),
                Err(_) => format!("{:02x?}", &p.payload[..]),
            };
            format!(
                "  topic {:?} qos {} packet id {} dup {} retain {}\n  payload ({} bytes) {payload}{}",
                p.topic_str(),
                p.qos(),
                p.packet_id().map_or("-".to_string(), |id| id.to_string()),
                p.dup,
                p.retain,
                p.payload.len(),
                if p.properties.is_empty() {
                    String::new()
                } else {
                    format!("\n  properties {:#?}", p.properties)
                }
            )
        }
        other => format!("{other:#?}")
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    println!("{text}");
}

fn main() -> ExitCode {
    let mut version = ProtocolVersion::V3_1_1;
    let mut max_packet_size = None;
    let mut streams = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => match args.next().as_deref().and_then(parse_version) {
                Some(v) => version = v,
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--max-packet-size" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => max_packet_size = Some(n),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => streams.push(arg),
        }
    }
    if streams.is_empty() {
        streams = std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .collect();
    }
    let mut ok = true;
    for (i, stream) in streams.iter().enumerate() {
        if streams.len() > 1 {
            println!("stream {}:", i + 1);
        }
        // Each stream starts fresh: a CONNECT inside one switches that stream's version only.
        let mut decoder = Decoder::new(version);
        if let Some(max) = max_packet_size {
            decoder.set_max_packet_size(max);
        }
        match parse_hex(stream) {
            Ok(bytes) => ok &= inspect(&bytes, &mut decoder),
            Err(e) => {
                println!("not a hex stream: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
