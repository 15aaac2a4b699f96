//! The Paho semantics that live in the shared client core, through the
//! event-loop client: the packet log in Paho's wording, on_connect for a
//! refusal, one mid across calls and callbacks, user data, no retry of a
//! failed first connection by default, errors that name the endpoint.
//! Everything is named through `adapter_mio` alone.

use adapter_mio::{
    ClientOptions, ConnectInfo, Driver, Error, Mid, MqttClient, ProtocolVersion, QoS, ReasonCode,
};
use mqtt_testing::{closed_port, Broker};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

type Lines = Arc<Mutex<Vec<String>>>;

fn logged(client: &MqttClient) -> Lines {
    let lines: Lines = Arc::default();
    let l = lines.clone();
    client.on_log(move |_, _, line| l.lock().unwrap().push(line.to_string()));
    lines
}

fn options(broker: &Broker, id: &str, version: ProtocolVersion) -> ClientOptions {
    ClientOptions::new("127.0.0.1", broker.port())
        .client_id(id)
        .protocol(version)
        .reconnect_delay(Duration::from_millis(20), Duration::from_millis(100))
}

fn run(driver: &mut Driver, what: &str, mut done: impl FnMut(&Driver) -> bool) {
    assert!(
        driver.run_until(LIMIT, |d| done(d)).unwrap(),
        "timed out waiting for {what}"
    );
}

#[test]
fn the_packet_log_uses_pahos_wording() {
    let broker = Broker::start();
    let client = MqttClient::new(options(&broker, "mio-log", ProtocolVersion::V3_1_1)).unwrap();
    let lines = logged(&client);
    let subscribed = Arc::new(Mutex::new(None::<Mid>));
    let s = subscribed.clone();
    client.on_subscribe(move |_, mid, _, _| *s.lock().unwrap() = Some(mid));
    let published = Arc::new(Mutex::new(Vec::new()));
    let p = published.clone();
    client.on_publish(move |_, mid, _| p.lock().unwrap().push(mid));
    client.connect().unwrap();
    let mut driver = Driver::new().unwrap();
    let id = driver.add(client);
    run(&mut driver, "CONNACK", |d| {
        d.client(id).unwrap().is_connected()
    });
    let sub = driver
        .client(id)
        .unwrap()
        .subscribe("mio/#", QoS::AtLeastOnce)
        .unwrap();
    run(&mut driver, "SUBACK", |_| {
        subscribed.lock().unwrap().is_some()
    });
    assert_eq!(*subscribed.lock().unwrap(), Some(sub));
    let handles: Vec<_> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .map(|qos| {
            driver
                .client(id)
                .unwrap()
                .publish("mio/t", "hello", qos, false)
                .unwrap()
        })
        .collect();
    run(&mut driver, "the publishes", |_| {
        handles.iter().all(|h| h.is_published())
    });
    driver.client(id).unwrap().disconnect().unwrap();
    run(&mut driver, "the DISCONNECT", |_| {
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "Sending DISCONNECT")
    });
    let mids: Vec<Mid> = handles.iter().map(|h| h.mid()).collect();
    let mut got = published.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, mids, "on_publish gets each handle's mid");
    let lines = lines.lock().unwrap();
    let pid = |i: usize| handles[i].packet_id().unwrap();
    for want in [
        "Sending CONNECT (u0, p0, wr0, wq0, wf0, c1, k60) client_id=b'mio-log'".to_string(),
        "Received CONNACK (0, 0)".to_string(),
        format!(
            "Sending SUBSCRIBE (d0, m{}) [(b'mio/#', 1)]",
            sub.packet_id().unwrap()
        ),
        "Received SUBACK".to_string(),
        "Sending PUBLISH (d0, q0, r0, m0), 'b'mio/t'', ... (5 bytes)".to_string(),
        format!(
            "Sending PUBLISH (d0, q1, r0, m{}), 'b'mio/t'', ... (5 bytes)",
            pid(1)
        ),
        format!("Received PUBACK (Mid: {})", pid(1)),
        format!(
            "Sending PUBLISH (d0, q2, r0, m{}), 'b'mio/t'', ... (5 bytes)",
            pid(2)
        ),
        format!("Received PUBREC (Mid: {})", pid(2)),
        format!("Sending PUBREL (Mid: {})", pid(2)),
        format!("Received PUBCOMP (Mid: {})", pid(2)),
        "Received PUBLISH (d0, q0, r0, m0), 'mio/t', ...  (5 bytes)".to_string(),
    ] {
        assert!(lines.contains(&want), "{want:?} in {lines:#?}");
    }
}

#[test]
fn on_connect_runs_for_a_refusal_then_on_disconnect() {
    let broker = Broker::config().user("alice", "right").start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let client =
            MqttClient::new(options(&broker, "mio-refused", version).credentials("alice", "wrong"))
                .unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let infos: Arc<Mutex<Vec<ConnectInfo>>> = Arc::default();
        let (o, i) = (order.clone(), infos.clone());
        client.on_connect(move |c, info| {
            o.lock().unwrap().push("on_connect");
            i.lock().unwrap().push(info.clone());
            // Paho code stops on a refusal from on_connect.
            if info.is_failure() {
                c.disconnect().unwrap();
            }
        });
        let o = order.clone();
        client.on_disconnect(move |_, _| o.lock().unwrap().push("on_disconnect"));
        client.connect().unwrap();
        let mut driver = Driver::new().unwrap();
        driver.add(client);
        run(&mut driver, "the refusal", |_| {
            order.lock().unwrap().len() >= 2
        });
        assert_eq!(order.lock().unwrap()[..2], ["on_connect", "on_disconnect"]);
        let info = &infos.lock().unwrap()[0];
        assert!(info.is_failure(), "{info:?}");
        assert_eq!(info.reason_code(), ReasonCode::NotAuthorized);
    }
}

#[test]
fn user_data_reaches_the_callbacks() {
    let broker = Broker::start();
    let client = MqttClient::new(options(&broker, "mio-ud", ProtocolVersion::V5)).unwrap();
    client.user_data_set(Mutex::new(0u32));
    client.on_connect(|c, _| {
        *c.user_data::<Mutex<u32>>().unwrap().lock().unwrap() += 1;
    });
    client.connect().unwrap();
    let mut driver = Driver::new().unwrap();
    let id = driver.add(client);
    run(&mut driver, "on_connect", |d| {
        let c = d.client(id).unwrap();
        *c.user_data::<Mutex<u32>>().unwrap().lock().unwrap() == 1
    });
    driver.client(id).unwrap().disconnect().unwrap();
}

#[test]
fn a_failed_first_connection_is_not_retried_by_default() {
    let mut driver = Driver::new().unwrap();
    // A host that does not resolve fails the opening itself.
    let options = ClientOptions::new("no-such-host.invalid", 1883)
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(20));
    let fails = Arc::new(Mutex::new(Vec::new()));
    for retry in [false, true] {
        let client = MqttClient::new(options.clone().retry_first_connection(retry)).unwrap();
        let f = fails.clone();
        client.on_connect_fail(move |_, e| f.lock().unwrap().push((retry, e.to_string())));
        client.connect_async();
        driver.add(client);
    }
    run(&mut driver, "retries", |_| {
        fails.lock().unwrap().iter().filter(|(r, _)| *r).count() >= 3
    });
    let fails = fails.lock().unwrap();
    assert_eq!(fails.iter().filter(|(r, _)| !*r).count(), 1, "{fails:?}");
    assert!(
        fails
            .iter()
            .all(|(_, e)| e.contains("no-such-host.invalid:1883")),
        "errors name the endpoint: {fails:?}"
    );
}

#[test]
fn a_refused_tcp_connection_names_the_endpoint() {
    let port = closed_port();
    let client = MqttClient::new(ClientOptions::new("127.0.0.1", port)).unwrap();
    let lines = logged(&client);
    let ended = Arc::new(Mutex::new(false));
    let e = ended.clone();
    client.on_disconnect(move |c, _| {
        *e.lock().unwrap() = true;
        let _ = c.disconnect();
    });
    match client.connect() {
        // Refused at once (a synchronous connect error) ...
        Err(Error::Io(e)) => assert!(e.to_string().contains(&format!("127.0.0.1:{port}"))),
        Err(other) => panic!("{other:?}"),
        // ... or, as usual for a non-blocking connect, when it completes.
        Ok(()) => {
            let mut driver = Driver::new().unwrap();
            driver.add(client);
            run(&mut driver, "the refusal", |_| *ended.lock().unwrap());
            let lines = lines.lock().unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains(&format!("127.0.0.1:{port}")) && l.contains("refused")),
                "{lines:#?}"
            );
        }
    }
}
