//! Interoperability with an independent client: paho-mqtt (Python, from
//! PyPI) publishes and we receive, and the reverse, through Mosquitto.

mod common;
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::Broker;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PAHO_PUBLISHER: &str = r#"
import sys, paho.mqtt.client as mqtt
port, version = int(sys.argv[1]), sys.argv[2]
proto = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-pub", protocol=proto)
c.connect("127.0.0.1", port)
c.loop_start()
for qos in (0, 1, 2):
    c.publish("interop/from-paho", f"paho qos {qos}", qos=qos).wait_for_publish(10)
c.disconnect()
c.loop_stop()
"#;

const PAHO_SUBSCRIBER: &str = r#"
import sys, paho.mqtt.client as mqtt
port, version, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
proto = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
got = []
def on_subscribe(c, userdata, mid, reasons, props):
    print("READY", flush=True)
def on_message(c, userdata, m):
    print(f"{m.topic} {m.qos} {m.payload.decode()}", flush=True)
    got.append(m)
    if len(got) == count:
        c.disconnect()
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-sub", protocol=proto)
c.on_subscribe = on_subscribe
c.on_message = on_message
c.connect("127.0.0.1", port)
c.subscribe("interop/#", qos=2)
c.loop_forever()
"#;

fn python(script: &str, args: &[String]) -> Child {
    let mut child = Command::new("python3")
        .arg("-")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 is needed for the interoperability tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child
}

fn version_arg(v: ProtocolVersion) -> String {
    if v.is_v5() {
        "5".into()
    } else {
        "311".into()
    }
}

/// Over plain TCP, an ordered lossless byte stream [MQTT-7.1.2-1, 3.1.1]
/// [MQTT-4.2-1, 5.0] [MQTT-4.2.0-1, 5.0], and with no extension beyond the
/// specification on either side [MQTT-7.0.0-2, 3.1.1].
#[test]
fn paho_publishes_and_we_receive() {
    let broker = Broker::start();
    for version in VERSIONS {
        let (sub, rx) = subscriber(&broker, "ours", version, "interop/#", QoS::ExactlyOnce);
        let mut paho = python(
            PAHO_PUBLISHER,
            &[broker.port().to_string(), version_arg(version)],
        );
        assert!(
            paho.wait().unwrap().success(),
            "paho-mqtt publisher failed (is paho-mqtt installed?)"
        );
        let mut got: Vec<(String, QoS)> = (0..3)
            .map(|_| {
                let m = rx.recv_timeout(WAIT).expect("message from paho");
                (m.payload_str().unwrap().to_string(), m.qos())
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("paho qos 0".to_string(), QoS::AtMostOnce),
                ("paho qos 1".to_string(), QoS::AtLeastOnce),
                ("paho qos 2".to_string(), QoS::ExactlyOnce)
            ],
            "{version}"
        );
        stop(&sub);
    }
}

/// The reverse direction [MQTT-7.1.2-1, 3.1.1] [MQTT-4.2-1, 5.0]
/// [MQTT-7.0.0-2, 3.1.1].
#[test]
fn we_publish_and_paho_receives() {
    let broker = Broker::start();
    for version in VERSIONS {
        let mut paho = python(
            PAHO_SUBSCRIBER,
            &[broker.port().to_string(), version_arg(version), "3".into()],
        );
        let mut lines = BufReader::new(paho.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "READY");
        let ours = connected(&broker, "ours-pub", version);
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let h = ours
                .publish("interop/from-rust", format!("rust qos {qos}"), qos, false)
                .unwrap();
            assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
        }
        let mut got: Vec<String> = lines.by_ref().take(3).map(|l| l.unwrap()).collect();
        got.sort();
        assert_eq!(
            got,
            [
                "interop/from-rust 0 rust qos 0",
                "interop/from-rust 1 rust qos 1",
                "interop/from-rust 2 rust qos 2"
            ],
            "{version}"
        );
        assert!(paho.wait().unwrap().success());
        stop(&ours);
    }
    let _ = Duration::ZERO;
}
