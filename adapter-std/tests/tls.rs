//! mqtts:// against Mosquitto's TLS listeners, with certificates made at
//! test time: delivery at every QoS both ways, mutual TLS, and each
//! verification failure refused with its own error.

mod common;
use adapter_std::layers::{TlsErrorKind, TlsOptions};
use adapter_std::TlsVersion;
use adapter_std::{Client, ClientOptions, Error, Message};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{Broker, Listener, TestCerts};
use std::net::TcpListener;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn broker() -> Broker {
    Broker::config()
        .listener(Listener::Tls)
        .listener(Listener::MutualTls)
        .listener(Listener::TlsExpired)
        .listener(Listener::TlsOtherHost)
        .start()
}

fn tls_options(
    broker: &Broker,
    listener: Listener,
    id: &str,
    version: ProtocolVersion,
    tls: TlsOptions,
) -> ClientOptions {
    ClientOptions::from_url(&broker.url_of(listener))
        .unwrap()
        .tls(tls)
        .client_id(id)
        .protocol(version)
        .connect_timeout(Duration::from_secs(5))
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(500))
}

fn trusted(certs: &TestCerts) -> TlsOptions {
    TlsOptions::new().ca_file(&certs.ca)
}

/// Publishes at QoS 0, 1 and 2 through `publisher` and checks that the
/// subscriber (QoS 2 subscription) gets each at the QoS it was sent with.
fn exchange(publisher: &Client, rx: &Receiver<Message>, topic: &str) {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let payload = format!("over tls at {qos}");
        let h = publisher
            .publish(topic, payload.clone(), qos, false)
            .unwrap();
        assert!(
            h.wait_for_publish(Some(WAIT)).unwrap().is_delivered(),
            "{qos}"
        );
        let m = rx.recv_timeout(WAIT).expect("message over TLS");
        assert_eq!(
            (m.topic(), m.payload_str(), m.qos()),
            (topic, Some(payload.as_str()), qos)
        );
    }
}

#[test]
fn qos_0_1_2_both_ways_over_mqtts() {
    let broker = broker();
    let certs = broker.certs();
    for version in VERSIONS {
        let (sub, rx) = subscriber_with(
            tls_options(&broker, Listener::Tls, "tls-sub", version, trusted(certs)),
            "tls/#",
            QoS::ExactlyOnce,
        );
        let publisher = Client::new(tls_options(
            &broker,
            Listener::Tls,
            "tls-pub",
            version,
            trusted(certs),
        ))
        .unwrap();
        publisher.connect().unwrap();
        publisher.loop_start().unwrap();
        exchange(&publisher, &rx, &format!("tls/{version}"));
        stop(&publisher);
        stop(&sub);
    }
}

#[test]
fn qos_0_1_2_both_ways_over_mutual_tls() {
    let broker = broker();
    let certs = broker.certs();
    let mutual = || {
        trusted(certs)
            .client_cert(&certs.client_cert, &certs.client_key)
            // Mosquitto ignores ALPN; offering it must not get in the way.
            .alpn(["mqtt"])
    };
    for version in VERSIONS {
        let (sub, rx) = subscriber_with(
            tls_options(&broker, Listener::MutualTls, "mtls-sub", version, mutual()),
            "mtls/#",
            QoS::ExactlyOnce,
        );
        let publisher = Client::new(tls_options(
            &broker,
            Listener::MutualTls,
            "mtls-pub",
            version,
            mutual(),
        ))
        .unwrap();
        publisher.connect().unwrap();
        publisher.loop_start().unwrap();
        exchange(&publisher, &rx, &format!("mtls/{version}"));
        stop(&publisher);
        stop(&sub);
    }
}

#[test]
fn the_ip_address_in_the_certificate_is_verified_too() {
    let broker = broker();
    let port = broker.port_of(Listener::Tls);
    let options = ClientOptions::new("127.0.0.1", port)
        .tls(trusted(broker.certs()))
        .client_id("tls-by-ip");
    let client = Client::new(options).unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
}

/// The error a connection attempt ends with.
fn refused(options: ClientOptions) -> Error {
    let client = Client::new(options).unwrap();
    let started = Instant::now();
    let e = client
        .connect()
        .expect_err("the connection must be refused");
    eprintln!("refused: {e}");
    // Refused by the handshake, not by running into the connect timeout.
    assert!(started.elapsed() < Duration::from_secs(4), "{e}");
    e
}

fn tls_kind(e: &Error) -> TlsErrorKind {
    match e {
        Error::Tls(t) => t.kind(),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn an_unknown_authority_is_refused() {
    let broker = broker();
    let certs = broker.certs();
    // Verification is on by default: the system's roots do not know the test CA.
    let e = refused(tls_options(
        &broker,
        Listener::Tls,
        "x",
        ProtocolVersion::V3_1_1,
        TlsOptions::new(),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::UnknownAuthority, "{e}");
    assert!(
        e.to_string()
            .contains("certificate signed by an unknown authority"),
        "{e}"
    );
    // Nor does a CA file of another authority.
    let e = refused(tls_options(
        &broker,
        Listener::Tls,
        "x",
        ProtocolVersion::V5,
        TlsOptions::new().ca_file(&certs.unknown_ca),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::UnknownAuthority, "{e}");
}

#[test]
fn an_expired_certificate_is_refused() {
    let broker = broker();
    let e = refused(tls_options(
        &broker,
        Listener::TlsExpired,
        "x",
        ProtocolVersion::V3_1_1,
        trusted(broker.certs()),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::Expired, "{e}");
    assert!(e.to_string().contains("has expired"), "{e}");
}

#[test]
fn a_hostname_mismatch_is_refused_and_server_name_overrides_the_name() {
    let broker = broker();
    let certs = broker.certs();
    let port = broker.port_of(Listener::TlsOtherHost);
    let e = refused(
        ClientOptions::new("127.0.0.1", port)
            .tls(trusted(certs))
            .connect_timeout(Duration::from_secs(5)),
    );
    assert_eq!(tls_kind(&e), TlsErrorKind::HostnameMismatch, "{e}");
    assert!(e.to_string().contains("hostname mismatch"), "{e}");
    assert!(e.to_string().contains(TestCerts::OTHER_HOST), "{e}");

    // The name to verify (and send as SNI) can differ from the address.
    let client = Client::new(
        ClientOptions::new("127.0.0.1", port)
            .tls(trusted(certs).server_name(TestCerts::OTHER_HOST))
            .client_id("tls-override"),
    )
    .unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
}

#[test]
fn the_mutual_listener_refuses_a_missing_or_untrusted_client_certificate() {
    let broker = broker();
    let certs = broker.certs();
    let e = refused(tls_options(
        &broker,
        Listener::MutualTls,
        "no-cert",
        ProtocolVersion::V3_1_1,
        trusted(certs),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::ClientCertificateRequired, "{e}");
    assert!(
        e.to_string().contains("requires a client certificate"),
        "{e}"
    );

    let e = refused(tls_options(
        &broker,
        Listener::MutualTls,
        "bad-cert",
        ProtocolVersion::V5,
        trusted(certs).client_cert(&certs.untrusted_client_cert, &certs.untrusted_client_key),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::ClientCertificateRejected, "{e}");
}

#[test]
fn danger_accept_invalid_certs_connects_anyway() {
    let broker = broker();
    for listener in [Listener::TlsExpired, Listener::TlsOtherHost] {
        let port = broker.port_of(listener);
        let client = Client::new(
            ClientOptions::new("127.0.0.1", port)
                .tls(TlsOptions::new().danger_accept_invalid_certs(true))
                .client_id("insecure"),
        )
        .unwrap();
        client.connect().unwrap();
        client.disconnect().unwrap();
    }
}

#[test]
fn tls_to_a_plain_listener_fails_with_a_clear_error() {
    let broker = broker();
    let e = refused(
        ClientOptions::from_url(&format!("mqtts://localhost:{}", broker.port()))
            .unwrap()
            .tls(trusted(broker.certs()))
            .connect_timeout(Duration::from_secs(5)),
    );
    assert_eq!(tls_kind(&e), TlsErrorKind::Protocol, "{e}");
}

#[test]
fn configuration_errors_come_from_client_new() {
    let e = Client::new(
        ClientOptions::new("localhost", 8883).tls(TlsOptions::new().ca_file("/no/such/ca.pem")),
    )
    .expect_err("an unreadable CA file");
    assert_eq!(tls_kind(&e), TlsErrorKind::Config, "{e}");
    assert!(e.to_string().contains("/no/such/ca.pem"), "{e}");
}

#[test]
fn the_connect_timeout_bounds_a_silent_handshake() {
    // A server that accepts and never answers the ClientHello.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let keep = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
    let client = Client::new(
        ClientOptions::new("127.0.0.1", port)
            .tls(TlsOptions::new().danger_accept_invalid_certs(true))
            .connect_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let started = Instant::now();
    let e = client.connect().expect_err("no handshake");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(&e, Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut),
        "{e:?}"
    );
    drop(keep.join());
}

#[test]
fn the_loop_reconnects_over_tls_after_a_broker_restart() {
    let mut broker = broker();
    let certs = broker.certs().clone();
    let (sub, rx) = subscriber_with(
        tls_options(
            &broker,
            Listener::Tls,
            "tls-resub",
            ProtocolVersion::V5,
            trusted(&certs),
        ),
        "again/#",
        QoS::AtLeastOnce,
    );
    // Subscriptions are renewed in on_connect after the reconnect.
    sub.on_connect(|c, _| {
        c.subscribe("again/#", QoS::AtLeastOnce).unwrap();
    });
    broker.restart();
    let publisher = Client::new(tls_options(
        &broker,
        Listener::Tls,
        "tls-repub",
        ProtocolVersion::V5,
        trusted(&certs),
    ))
    .unwrap();
    publisher.connect().unwrap();
    publisher.loop_start().unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        publisher
            .publish("again/x", "after restart", QoS::AtLeastOnce, false)
            .unwrap();
        if let Ok(m) = rx.recv_timeout(Duration::from_millis(200)) {
            assert_eq!(m.payload_str(), Some("after restart"));
            break;
        }
        assert!(Instant::now() < deadline, "no message after the restart");
    }
    stop(&publisher);
    stop(&sub);
}

/// Paho's `tls_insecure_set(True)`: only the host name goes unchecked; the
/// chain and the validity period still are.
#[test]
fn insecure_skip_hostname_check_skips_the_hostname_check_only() {
    let broker = broker();
    let certs = broker.certs();
    let other_host = format!(
        "mqtts://localhost:{}",
        broker.port_of(Listener::TlsOtherHost)
    );
    let at = |url: &str, tls: TlsOptions| {
        ClientOptions::from_url(url)
            .unwrap()
            .tls(tls)
            .client_id("insecure-name")
            .connect_timeout(Duration::from_secs(5))
    };
    // By default the certificate for another name is refused ...
    let e = refused(at(&other_host, trusted(certs)));
    assert_eq!(tls_kind(&e), TlsErrorKind::HostnameMismatch, "{e}");
    // ... and accepted without the host name check.
    let tls = trusted(certs).insecure_skip_hostname_check(true);
    assert!(tls.skips_hostname_check() && !tls.accepts_invalid_certs());
    let client = Client::new(at(&other_host, tls)).unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
    // An untrusted CA is still refused, and so is an expired certificate.
    let e = refused(at(
        &other_host,
        TlsOptions::new()
            .ca_file(&certs.unknown_ca)
            .insecure_skip_hostname_check(true),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::UnknownAuthority, "{e}");
    let expired = format!("mqtts://localhost:{}", broker.port_of(Listener::TlsExpired));
    let e = refused(at(
        &expired,
        trusted(certs).insecure_skip_hostname_check(true),
    ));
    assert_eq!(tls_kind(&e), TlsErrorKind::Expired, "{e}");
}

/// A client that requires TLS 1.3 and a server that stops at 1.2 fail the
/// handshake with an error that says so; the default (1.2 and up) connects.
#[test]
fn a_minimum_tls_version_above_the_servers_fails_clearly() {
    let broker = Broker::config()
        .listener(Listener::Tls)
        .tls_max_version_1_2()
        .start();
    let certs = broker.certs();
    let options = |tls| {
        tls_options(
            &broker,
            Listener::Tls,
            "tls-version",
            ProtocolVersion::V3_1_1,
            tls,
        )
    };
    let client = Client::new(options(trusted(certs))).unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
    let e = refused(options(trusted(certs).min_version(TlsVersion::Tls13)));
    assert_eq!(tls_kind(&e), TlsErrorKind::UnsupportedVersion, "{e}");
    assert!(e.to_string().contains("TLS version"), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("localhost:{}", broker.port_of(Listener::Tls))),
        "names the endpoint: {e}"
    );

    // Against a broker that speaks 1.3, requiring it works.
    let broker = Broker::config().listener(Listener::Tls).start();
    let client = Client::new(tls_options(
        &broker,
        Listener::Tls,
        "tls13",
        ProtocolVersion::V5,
        trusted(broker.certs()).min_version(TlsVersion::Tls13),
    ))
    .unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
    assert_eq!("tlsv1.2".parse::<TlsVersion>().unwrap(), TlsVersion::Tls12);
    assert!("tlsv1.1".parse::<TlsVersion>().is_err());
}

/// Paho's `tls_set(ciphers=...)`, with OpenSSL's or rustls's names.
#[test]
fn cipher_suites_can_be_chosen() {
    let broker = Broker::config().listener(Listener::Tls).start();
    let certs = broker.certs();
    for (tls, id) in [
        (
            trusted(certs)
                .max_version(TlsVersion::Tls12)
                .ciphers("ECDHE-ECDSA-AES128-GCM-SHA256"),
            "tls12-suite",
        ),
        (
            trusted(certs)
                .min_version(TlsVersion::Tls13)
                .ciphers("TLS13_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"),
            "tls13-suite",
        ),
    ] {
        let client = Client::new(tls_options(
            &broker,
            Listener::Tls,
            id,
            ProtocolVersion::V3_1_1,
            tls,
        ))
        .unwrap();
        client.connect().unwrap();
        client.disconnect().unwrap();
    }
    let e =
        Client::new(ClientOptions::new("localhost", 8883).tls(trusted(certs).ciphers("RC4-MD5")))
            .expect_err("no such suite here");
    assert_eq!(tls_kind(&e), TlsErrorKind::Config, "{e}");
    assert!(e.to_string().contains("RC4-MD5"), "{e}");
    // Only TLS 1.2 suites, but only TLS 1.3 allowed: nothing to offer.
    let e = Client::new(
        ClientOptions::new("localhost", 8883).tls(
            trusted(certs)
                .min_version(TlsVersion::Tls13)
                .ciphers("ECDHE-ECDSA-AES128-GCM-SHA256"),
        ),
    )
    .expect_err("no suite for TLS 1.3");
    assert_eq!(tls_kind(&e), TlsErrorKind::Config, "{e}");
}

#[test]
fn tls_errors_name_the_endpoint() {
    let broker = broker();
    let port = broker.port_of(Listener::TlsExpired);
    let e = refused(tls_options(
        &broker,
        Listener::TlsExpired,
        "x",
        ProtocolVersion::V3_1_1,
        trusted(broker.certs()),
    ));
    assert!(e.to_string().contains(&format!("localhost:{port}")), "{e}");
}
