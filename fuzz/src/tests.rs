//! Runs the committed seed corpus through the checks (stable toolchain, no
//! libFuzzer), and writes that corpus (`--ignored`).

use super::*;
use mqtt_proto::PacketType;
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

/// A fuzz target's name and its check.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 3] = [
    ("decode", decode),
    ("chunked", chunked),
    ("roundtrip_structured", roundtrip_structured),
];

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

#[test]
fn committed_corpus_passes_every_check() {
    for (target, run) in TARGETS {
        let dir = corpus_dir(target);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            run(&fs::read(&path).unwrap());
            n += 1;
        }
        assert!(n >= 20, "{target}: only {n} seeds");
    }
}

#[test]
fn empty_and_tiny_inputs_are_harmless() {
    for (_, run) in TARGETS {
        for input in [
            &b""[..],
            b"\x00",
            b"\x02",
            b"\x06\x00",
            b"\xff\xff\xff\xff\xff\xff",
        ] {
            run(input);
        }
    }
}

/// A deterministic generator, so that regenerating the corpus gives the same files.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn type_name(t: PacketType) -> String {
    t.to_string().to_lowercase()
}

fn version_name(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::V3_1 => "v31",
        ProtocolVersion::V3_1_1 => "v311",
        ProtocolVersion::V5 => "v5",
    }
}

/// A structured input, the version and packet it builds, and its encoding.
type Seed = (Vec<u8>, ProtocolVersion, Packet, Vec<u8>);

/// Small structured inputs that build each packet type in each version, and
/// the packets they build, chosen from a deterministic random search.
fn structured_seeds() -> BTreeMap<(u8, String), Seed> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut found = BTreeMap::new();
    for round in 0..200_000 {
        let len = 8 + (round % 120);
        let input = rng.bytes(len);
        let mut u = Unstructured::new(&input);
        let Ok((version, packet)) = build::packet(&mut u) else {
            continue;
        };
        let mut wire = BytesMut::new();
        packet
            .encode(version, &mut wire)
            .expect("built packets encode");
        if wire.len() > 200 {
            continue;
        }
        let key = (version_byte(version), type_name(packet.packet_type()));
        found
            .entry(key)
            .or_insert((input, version, packet, wire.to_vec()));
        if found.len() == 3 * 14 + 1 {
            break;
        }
    }
    found
}

/// Writes `corpus/<target>/`: for every version and packet type a
/// structured input, its encoding as a `decode` input, and as a `chunked`
/// input; plus streams of several packets and small-limit variants.
/// Regenerate with
/// `cargo test --manifest-path fuzz/Cargo.toml -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes the committed seed corpus"]
fn write_seed_corpus() {
    let seeds = structured_seeds();
    assert_eq!(
        seeds.len(),
        43,
        "every type in every version: {:?}",
        seeds.keys()
    );
    for (target, _) in TARGETS {
        let dir = corpus_dir(target);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
    }
    let write = |target: &str, name: &str, bytes: &[u8]| {
        fs::write(corpus_dir(target).join(name), bytes).unwrap();
    };
    let mut streams: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for ((vbyte, tname), (input, version, _, wire)) in &seeds {
        let name = format!("{}-{tname}", version_name(*version));
        write("roundtrip_structured", &name, input);
        let mut d = vec![*vbyte];
        d.extend_from_slice(wire);
        write("decode", &name, &d);
        // Chunks of 1, 3 and 7 bytes.
        let mut c = vec![0x20 | *vbyte, 1, 3, 7];
        c.extend_from_slice(wire);
        write("chunked", &name, &c);
        // CONNECT is the first packet of a stream; the rest follow.
        let stream = streams.entry(*vbyte).or_default();
        if tname == "connect" {
            let mut s = wire.clone();
            s.extend_from_slice(stream);
            *stream = s;
        } else if stream.len() < 600 {
            stream.extend_from_slice(wire);
        }
    }
    for (vbyte, stream) in &streams {
        let v = version_name(version_from(*vbyte));
        let mut d = vec![*vbyte];
        d.extend_from_slice(stream);
        write("decode", &format!("{v}-stream"), &d);
        // Small maximum packet size: 4 * 16 = 64 bytes.
        let mut d = vec![0x04 | *vbyte, 16];
        d.extend_from_slice(stream);
        write("decode", &format!("{v}-stream-max64"), &d);
        let mut c = vec![0x40 | *vbyte, 2, 5, 1, 0, 64];
        c.extend_from_slice(stream);
        write("chunked", &format!("{v}-stream"), &c);
    }
    // Run what was written, so a seed that fails is noticed at once.
    committed_corpus_passes_every_check();
}

#[test]
fn committed_session_corpus_and_tiny_inputs_pass() {
    let dir = corpus_dir("session");
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        crate::session::run(&fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 2, "session: only {n} seeds");
    for input in [
        &b""[..],
        b"\x02",
        b"\x02\x07\x07\x07",
        b"\x12\xff\xff\xff\xff",
    ] {
        crate::session::run(input);
    }
}

#[test]
fn a_long_window_of_publishes_and_their_acknowledgements() {
    // Mode 0x21: MQTT 3.1, a window of 40, connected. Then 40 QoS 1
    // publishes (op 0x44), so the session indexes its packet ids, and
    // PUBACKs for ids 1..=40 fed as broker bytes (op 8 * 4 + 0: 4 bytes).
    let mut input = vec![0x21];
    input.extend([0x44; 40]);
    for id in 1..=40u8 {
        input.extend([32, 0x40, 0x02, 0x00, id]);
    }
    input.extend([0x44; 40]);
    crate::session::run(&input);
}
