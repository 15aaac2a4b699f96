//! `-D command identifier value` (`--property`): MQTT 5.0 properties for the
//! packets the programs send, in mosquitto's syntax and with its checks.
//!
//! ```text
//! -D connect session-expiry-interval 3600
//! -D publish user-property colour blue      (a key and a value)
//! -D publish message-expiry-interval 60
//! -D will will-delay-interval 5
//! -D subscribe subscription-identifier 7
//! ```
//!
//! Commands and property names are mosquitto's, case-insensitive. Values
//! are read with C's `atol` and checked against the property's type
//! ("Property value (256) out of range for property ..."); a property that
//! may not appear in the packet is refused at once ("... not allowed for
//! subscribe ..."), one that mosquitto does not send for that packet too
//! ("... not supported for auth ..."). Repeating a property other than
//! `user-property` is reported after all flags are read, as mosquitto
//! does ("Error in PUBLISH properties: Duplicate property in property
//! list").
//!
//! Where mosquitto sends a value the protocol forbids (a payload format
//! indicator of 2, a subscription identifier of 0, a response topic with
//! a wildcard) and lets the broker close the connection, these programs
//! refuse it before connecting, with mosquitto's wording for a bad value
//! ("A network protocol error occurred when communicating with the broker.").

use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::{
    ConnectProperties, DisconnectProperties, MqttString, PayloadFormat, PublishProperties,
    SubscribeProperties, SubscriptionId, TopicName, UnsubscribeProperties, WillProperties,
};

/// mosquitto's text for a repeated property.
const DUPLICATE: &str = "Duplicate property in property list";
/// mosquitto's text for a value the protocol does not allow.
const PROTOCOL: &str = "A network protocol error occurred when communicating with the broker.";

/// The packets `-D` names (mosquitto's `mosquitto_string_to_command`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Connect,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Disconnect,
    Auth,
    Will,
}

impl Command {
    fn from_name(name: &str) -> Option<Self> {
        use Command::*;
        let all = [
            ("connect", Connect),
            ("connack", Connack),
            ("publish", Publish),
            ("puback", Puback),
            ("pubrec", Pubrec),
            ("pubrel", Pubrel),
            ("pubcomp", Pubcomp),
            ("subscribe", Subscribe),
            ("suback", Suback),
            ("unsubscribe", Unsubscribe),
            ("unsuback", Unsuback),
            ("disconnect", Disconnect),
            ("auth", Auth),
            ("will", Will),
        ];
        all.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| *c)
    }
}

/// How a value is written, with mosquitto's type numbers (they appear in
/// its "Error adding property" message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Byte = 1,
    Int16 = 2,
    Int32 = 3,
    Varint = 4,
    Binary = 5,
    String = 6,
    Pair = 7,
}

/// The 27 properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    PayloadFormatIndicator,
    MessageExpiryInterval,
    ContentType,
    ResponseTopic,
    CorrelationData,
    SubscriptionIdentifier,
    SessionExpiryInterval,
    AssignedClientIdentifier,
    ServerKeepAlive,
    AuthenticationMethod,
    AuthenticationData,
    RequestProblemInformation,
    WillDelayInterval,
    RequestResponseInformation,
    ResponseInformation,
    ServerReference,
    ReasonString,
    ReceiveMaximum,
    TopicAliasMaximum,
    TopicAlias,
    MaximumQos,
    RetainAvailable,
    UserProperty,
    MaximumPacketSize,
    WildcardSubscriptionAvailable,
    SubscriptionIdentifierAvailable,
    SharedSubscriptionAvailable,
}

/// mosquitto's property names and types.
const PROPERTIES: [(&str, Prop, Kind); 27] = [
    (
        "payload-format-indicator",
        Prop::PayloadFormatIndicator,
        Kind::Byte,
    ),
    (
        "message-expiry-interval",
        Prop::MessageExpiryInterval,
        Kind::Int32,
    ),
    ("content-type", Prop::ContentType, Kind::String),
    ("response-topic", Prop::ResponseTopic, Kind::String),
    ("correlation-data", Prop::CorrelationData, Kind::Binary),
    (
        "subscription-identifier",
        Prop::SubscriptionIdentifier,
        Kind::Varint,
    ),
    (
        "session-expiry-interval",
        Prop::SessionExpiryInterval,
        Kind::Int32,
    ),
    (
        "assigned-client-identifier",
        Prop::AssignedClientIdentifier,
        Kind::String,
    ),
    ("server-keep-alive", Prop::ServerKeepAlive, Kind::Int16),
    (
        "authentication-method",
        Prop::AuthenticationMethod,
        Kind::String,
    ),
    (
        "authentication-data",
        Prop::AuthenticationData,
        Kind::Binary,
    ),
    (
        "request-problem-information",
        Prop::RequestProblemInformation,
        Kind::Byte,
    ),
    ("will-delay-interval", Prop::WillDelayInterval, Kind::Int32),
    (
        "request-response-information",
        Prop::RequestResponseInformation,
        Kind::Byte,
    ),
    (
        "response-information",
        Prop::ResponseInformation,
        Kind::String,
    ),
    ("server-reference", Prop::ServerReference, Kind::String),
    ("reason-string", Prop::ReasonString, Kind::String),
    ("receive-maximum", Prop::ReceiveMaximum, Kind::Int16),
    ("topic-alias-maximum", Prop::TopicAliasMaximum, Kind::Int16),
    ("topic-alias", Prop::TopicAlias, Kind::Int16),
    ("maximum-qos", Prop::MaximumQos, Kind::Byte),
    ("retain-available", Prop::RetainAvailable, Kind::Byte),
    ("user-property", Prop::UserProperty, Kind::Pair),
    ("maximum-packet-size", Prop::MaximumPacketSize, Kind::Int32),
    (
        "wildcard-subscription-available",
        Prop::WildcardSubscriptionAvailable,
        Kind::Byte,
    ),
    (
        "subscription-identifier-available",
        Prop::SubscriptionIdentifierAvailable,
        Kind::Byte,
    ),
    (
        "shared-subscription-available",
        Prop::SharedSubscriptionAvailable,
        Kind::Byte,
    ),
];

fn property(name: &str) -> Option<(Prop, Kind)> {
    PROPERTIES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p, k)| (*p, *k))
}

/// Whether the protocol allows `prop` in `command` (mosquitto's
/// `mosquitto_property_check_command`).
fn allowed(command: Command, prop: Prop) -> bool {
    use Command as C;
    use Prop::*;
    match prop {
        PayloadFormatIndicator
        | MessageExpiryInterval
        | ContentType
        | ResponseTopic
        | CorrelationData => matches!(command, C::Publish | C::Will),
        SubscriptionIdentifier => matches!(command, C::Publish | C::Subscribe),
        SessionExpiryInterval => matches!(command, C::Connect | C::Connack | C::Disconnect),
        AuthenticationMethod | AuthenticationData => {
            matches!(command, C::Connect | C::Connack | C::Auth)
        }
        AssignedClientIdentifier
        | ServerKeepAlive
        | ResponseInformation
        | MaximumQos
        | RetainAvailable
        | WildcardSubscriptionAvailable
        | SubscriptionIdentifierAvailable
        | SharedSubscriptionAvailable => command == C::Connack,
        RequestProblemInformation | RequestResponseInformation => command == C::Connect,
        ServerReference => matches!(command, C::Connack | C::Disconnect),
        ReasonString => !matches!(
            command,
            C::Connect | C::Publish | C::Subscribe | C::Unsubscribe
        ),
        ReceiveMaximum | TopicAliasMaximum | MaximumPacketSize => {
            matches!(command, C::Connect | C::Connack)
        }
        TopicAlias => command == C::Publish,
        UserProperty => true,
        WillDelayInterval => command == C::Will,
    }
}

/// A property value, converted as its type says.
enum Value {
    Int(u32),
    Binary(Bytes),
    Text(MqttString),
    Pair(MqttString, MqttString),
}

/// The packets properties can be given for, in the order mosquitto checks
/// them once all flags are read.
const CONNECT: usize = 0;
const PUBLISH: usize = 1;
const SUBSCRIBE: usize = 2;
const UNSUBSCRIBE: usize = 3;
const DISCONNECT: usize = 4;
const WILL: usize = 5;
const LABELS: [&str; 6] = [
    "CONNECT",
    "PUBLISH",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "DISCONNECT",
    "Will",
];

/// The properties given with `-D`, per packet.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    /// CONNECT (and `-x`, and what `-c` implies in 5.0).
    pub connect: ConnectProperties,
    /// Every PUBLISH of pub.
    pub publish: PublishProperties,
    /// sub's SUBSCRIBE.
    pub subscribe: SubscribeProperties,
    /// Each of sub's UNSUBSCRIBEs (`-U`).
    pub unsubscribe: UnsubscribeProperties,
    /// The final DISCONNECT.
    pub disconnect: DisconnectProperties,
    /// The will (`--will-topic`).
    pub will: WillProperties,
    /// Whether any `-D` was given.
    pub given: bool,
    /// `-D publish topic-alias N`: the client may use topic aliases.
    pub topic_alias: bool,
    /// The first problem per packet, reported by [`Properties::check_all`].
    problems: [Option<&'static str>; 6],
}

impl Properties {
    /// Checks a `-D` command and property name, and whether a key comes
    /// before the value (`user-property`).
    pub fn check(&self, command: &str, name: &str) -> Result<bool, String> {
        let cmd = Command::from_name(command)
            .ok_or("Error: Invalid command given in --property argument.\n\n")?;
        let (prop, _) = property(name)
            .ok_or("Error: Invalid property name given in --property argument.\n\n")?;
        if !allowed(cmd, prop) {
            return Err(format!(
                "Error: {name} property not allowed for {command} in --property argument.\n\n"
            ));
        }
        Ok(prop == Prop::UserProperty)
    }

    /// Adds `-D command name [key] value`; `command` and `name` passed
    /// [`Properties::check`]. An empty error prints nothing (mosquitto's
    /// `-D connack ...`).
    pub fn add(
        &mut self,
        command: &str,
        name: &str,
        key: Option<&str>,
        value: &[u8],
    ) -> Result<(), String> {
        let cmd = Command::from_name(command).expect("checked");
        let (prop, kind) = property(name).expect("checked");
        let not_supported = || {
            format!(
                "Error: {name} property not supported for {command} in --property argument.\n\n"
            )
        };
        let packet = match cmd {
            Command::Connect => CONNECT,
            Command::Publish => {
                if prop == Prop::SubscriptionIdentifier {
                    return Err(not_supported());
                }
                self.topic_alias |= prop == Prop::TopicAlias;
                PUBLISH
            }
            Command::Subscribe => {
                if !matches!(prop, Prop::SubscriptionIdentifier | Prop::UserProperty) {
                    return Err(not_supported());
                }
                SUBSCRIBE
            }
            Command::Unsubscribe => UNSUBSCRIBE,
            Command::Disconnect => DISCONNECT,
            Command::Will => WILL,
            Command::Connack => return Err(String::new()),
            Command::Auth
            | Command::Puback
            | Command::Pubrec
            | Command::Pubrel
            | Command::Pubcomp
            | Command::Suback
            | Command::Unsuback => return Err(not_supported()),
        };
        let value = convert(name, kind, key, value)?;
        self.given = true;
        self.store(packet, prop, value);
        Ok(())
    }

    /// The session expiry interval of `-x` (or of `-c` in 5.0).
    pub fn add_session_expiry(&mut self, seconds: u32) {
        if self.connect.session_expiry_interval.is_some() {
            self.problem(CONNECT, DUPLICATE);
        } else {
            self.connect.session_expiry_interval = Some(seconds);
        }
    }

    /// mosquitto's checks of each packet's properties once all flags are
    /// read: `Error in PUBLISH properties: Duplicate property in property list`.
    pub fn check_all(&self) -> Result<(), String> {
        for (label, problem) in LABELS.iter().zip(self.problems) {
            if let Some(problem) = problem {
                return Err(format!("Error in {label} properties: {problem}\n"));
            }
        }
        Ok(())
    }

    fn problem(&mut self, packet: usize, what: &'static str) {
        self.problems[packet].get_or_insert(what);
    }

    /// Puts `value` where `prop` goes in `packet`'s properties.
    fn store(&mut self, packet: usize, prop: Prop, value: Value) {
        use Prop::*;
        let (mut duplicate, mut bad) = (false, false);
        {
            let mut once = |slot_taken: bool| {
                duplicate |= slot_taken;
                !slot_taken
            };
            let p = &mut self.publish;
            let c = &mut self.connect;
            let w = &mut self.will;
            let d = &mut self.disconnect;
            match (packet, prop, value) {
                (_, UserProperty, Value::Pair(k, v)) => match packet {
                    CONNECT => c.user_properties.push((k, v)),
                    PUBLISH => p.user_properties.push((k, v)),
                    SUBSCRIBE => self.subscribe.user_properties.push((k, v)),
                    UNSUBSCRIBE => self.unsubscribe.user_properties.push((k, v)),
                    DISCONNECT => d.user_properties.push((k, v)),
                    _ => w.user_properties.push((k, v)),
                },
                (CONNECT, SessionExpiryInterval, Value::Int(v)) => {
                    if once(c.session_expiry_interval.is_some()) {
                        c.session_expiry_interval = Some(v);
                    }
                }
                (CONNECT, ReceiveMaximum, Value::Int(v)) => {
                    if once(c.receive_maximum.is_some()) {
                        c.receive_maximum = NonZeroU16::new(v as u16);
                        bad |= c.receive_maximum.is_none();
                    }
                }
                (CONNECT, MaximumPacketSize, Value::Int(v)) => {
                    if once(c.maximum_packet_size.is_some()) {
                        c.maximum_packet_size = NonZeroU32::new(v);
                        bad |= c.maximum_packet_size.is_none();
                    }
                }
                (CONNECT, TopicAliasMaximum, Value::Int(v)) => {
                    if once(c.topic_alias_maximum.is_some()) {
                        c.topic_alias_maximum = Some(v as u16);
                    }
                }
                (CONNECT, RequestResponseInformation, Value::Int(v)) => {
                    if once(c.request_response_information.is_some()) {
                        c.request_response_information = Some(v == 1);
                        bad |= v > 1;
                    }
                }
                (CONNECT, RequestProblemInformation, Value::Int(v)) => {
                    if once(c.request_problem_information.is_some()) {
                        c.request_problem_information = Some(v == 1);
                        bad |= v > 1;
                    }
                }
                (CONNECT, AuthenticationMethod, Value::Text(s)) => {
                    if once(c.authentication_method.is_some()) {
                        c.authentication_method = Some(s);
                    }
                }
                (CONNECT, AuthenticationData, Value::Binary(b)) => {
                    if once(c.authentication_data.is_some()) {
                        c.authentication_data = Some(b);
                    }
                }
                (PUBLISH, PayloadFormatIndicator, Value::Int(v)) => {
                    if once(p.payload_format_indicator.is_some()) {
                        p.payload_format_indicator = payload_format(v);
                        bad |= p.payload_format_indicator.is_none();
                    }
                }
                (WILL, PayloadFormatIndicator, Value::Int(v)) => {
                    if once(w.payload_format_indicator.is_some()) {
                        w.payload_format_indicator = payload_format(v);
                        bad |= w.payload_format_indicator.is_none();
                    }
                }
                (PUBLISH, MessageExpiryInterval, Value::Int(v)) => {
                    if once(p.message_expiry_interval.is_some()) {
                        p.message_expiry_interval = Some(v);
                    }
                }
                (WILL, MessageExpiryInterval, Value::Int(v)) => {
                    if once(w.message_expiry_interval.is_some()) {
                        w.message_expiry_interval = Some(v);
                    }
                }
                (PUBLISH, ContentType, Value::Text(s)) => {
                    if once(p.content_type.is_some()) {
                        p.content_type = Some(s);
                    }
                }
                (WILL, ContentType, Value::Text(s)) => {
                    if once(w.content_type.is_some()) {
                        w.content_type = Some(s);
                    }
                }
                (PUBLISH, ResponseTopic, Value::Text(s)) => {
                    if once(p.response_topic.is_some()) {
                        p.response_topic = TopicName::new(s.as_str()).ok();
                        bad |= p.response_topic.is_none();
                    }
                }
                (WILL, ResponseTopic, Value::Text(s)) => {
                    if once(w.response_topic.is_some()) {
                        w.response_topic = TopicName::new(s.as_str()).ok();
                        bad |= w.response_topic.is_none();
                    }
                }
                (PUBLISH, CorrelationData, Value::Binary(b)) => {
                    if once(p.correlation_data.is_some()) {
                        p.correlation_data = Some(b);
                    }
                }
                (WILL, CorrelationData, Value::Binary(b)) => {
                    if once(w.correlation_data.is_some()) {
                        w.correlation_data = Some(b);
                    }
                }
                (PUBLISH, TopicAlias, Value::Int(v)) => {
                    // The client chooses its aliases itself (see the help);
                    // kept for the duplicate check only.
                    if once(p.topic_alias.is_some()) {
                        p.topic_alias = NonZeroU16::new(v as u16);
                        bad |= p.topic_alias.is_none();
                    }
                }
                (SUBSCRIBE, SubscriptionIdentifier, Value::Int(v)) => {
                    let s = &mut self.subscribe;
                    if once(s.subscription_identifier.is_some()) {
                        s.subscription_identifier = SubscriptionId::new(v);
                        bad |= s.subscription_identifier.is_none();
                    }
                }
                (DISCONNECT, SessionExpiryInterval, Value::Int(v)) => {
                    if once(d.session_expiry_interval.is_some()) {
                        d.session_expiry_interval = Some(v);
                    }
                }
                (DISCONNECT, ReasonString, Value::Text(s)) => {
                    if once(d.reason_string.is_some()) {
                        d.reason_string = Some(s);
                    }
                }
                (DISCONNECT, ServerReference, Value::Text(s)) => {
                    if once(d.server_reference.is_some()) {
                        d.server_reference = Some(s);
                    }
                }
                (WILL, WillDelayInterval, Value::Int(v)) => {
                    if once(w.will_delay_interval.is_some()) {
                        w.will_delay_interval = Some(v);
                    }
                }
                // Allowed by mosquitto's check but not in the packet's
                // properties (a will's reason string): the broker would
                // refuse it.
                _ => bad = true,
            }
        }
        if duplicate {
            self.problem(packet, DUPLICATE);
        }
        if bad {
            self.problem(packet, PROTOCOL);
        }
    }
}

fn payload_format(v: u32) -> Option<PayloadFormat> {
    match v {
        0 => Some(PayloadFormat::Unspecified),
        1 => Some(PayloadFormat::Utf8),
        _ => None,
    }
}

/// Converts a `-D` value as its type says, with mosquitto's messages.
fn convert(name: &str, kind: Kind, key: Option<&str>, value: &[u8]) -> Result<Value, String> {
    let adding = || format!("Error adding property {name} {}\n", kind as u8);
    let text = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| MqttString::new(s).ok())
            .ok_or_else(adding)
    };
    let number = |max: u32| {
        let n = super::config::atol(&String::from_utf8_lossy(value));
        if n < 0 || n > i64::from(max) {
            Err(format!(
                "Error: Property value ({n}) out of range for property {name}.\n\n"
            ))
        } else {
            Ok(n as u32)
        }
    };
    Ok(match kind {
        Kind::Byte => Value::Int(number(u8::MAX.into())?),
        Kind::Int16 => Value::Int(number(u16::MAX.into())?),
        Kind::Int32 => Value::Int(number(u32::MAX)?),
        Kind::Varint => {
            let n = number(u32::MAX)?;
            if n > SubscriptionId::MAX {
                return Err(adding());
            }
            Value::Int(n)
        }
        Kind::Binary => {
            if value.len() > usize::from(u16::MAX) {
                return Err(adding());
            }
            Value::Binary(Bytes::copy_from_slice(value))
        }
        Kind::String => Value::Text(text(value)?),
        Kind::Pair => Value::Pair(text(key.unwrap_or_default().as_bytes())?, text(value)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(list: &[&[&str]]) -> Result<Properties, String> {
        let mut props = Properties::default();
        for d in list {
            let needs_key = props.check(d[0], d[1])?;
            let (key, value) = if needs_key {
                (Some(d[2]), d[3])
            } else {
                (None, d[2])
            };
            props.add(d[0], d[1], key, value.as_bytes())?;
        }
        props.check_all()?;
        Ok(props)
    }

    #[test]
    fn properties_land_in_their_packet() {
        let p = given(&[
            &["connect", "receive-maximum", "5"],
            &["PUBLISH", "User-Property", "k", "v"],
            &["publish", "user-property", "k", "w"],
            &["publish", "message-expiry-interval", "60"],
            &["publish", "correlation-data", "cd"],
            &["publish", "response-topic", "re/ply"],
            &["subscribe", "subscription-identifier", "7"],
            &["unsubscribe", "user-property", "u", "1"],
            &["disconnect", "reason-string", "bye"],
            &["will", "will-delay-interval", "3"],
        ])
        .unwrap();
        assert_eq!(p.connect.receive_maximum.map(|v| v.get()), Some(5));
        let users: Vec<_> = p
            .publish
            .user_properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(users, [("k", "v"), ("k", "w")]);
        assert_eq!(p.publish.message_expiry_interval, Some(60));
        assert_eq!(p.publish.correlation_data.as_deref(), Some(&b"cd"[..]));
        assert_eq!(
            p.publish.response_topic.as_ref().map(|t| t.as_str()),
            Some("re/ply")
        );
        assert_eq!(
            p.subscribe.subscription_identifier.map(|s| s.get()),
            Some(7)
        );
        assert_eq!(p.unsubscribe.user_properties.len(), 1);
        assert_eq!(
            p.disconnect.reason_string.as_ref().map(|s| s.as_str()),
            Some("bye")
        );
        assert_eq!(p.will.will_delay_interval, Some(3));
        assert!(p.given && !p.topic_alias);
    }

    #[test]
    fn mosquitto_messages() {
        for (list, text) in [
            (&[&["bogus", "topic-alias", "1"][..]][..], "Error: Invalid command given in --property argument.\n\n"),
            (&[&["publish", "bogus", "1"]], "Error: Invalid property name given in --property argument.\n\n"),
            (&[&["subscribe", "topic-alias", "1"]], "Error: topic-alias property not allowed for subscribe in --property argument.\n\n"),
            (&[&["publish", "subscription-identifier", "1"]], "Error: subscription-identifier property not supported for publish in --property argument.\n\n"),
            (&[&["auth", "user-property", "a", "b"]], "Error: user-property property not supported for auth in --property argument.\n\n"),
            (&[&["connack", "user-property", "a", "b"]], ""),
            (&[&["connect", "request-problem-information", "256"]], "Error: Property value (256) out of range for property request-problem-information.\n\n"),
            (&[&["connect", "receive-maximum", "-1"]], "Error: Property value (-1) out of range for property receive-maximum.\n\n"),
            (&[&["subscribe", "subscription-identifier", "268435456"]], "Error adding property subscription-identifier 4\n"),
            (&[&["connect", "receive-maximum", "0"]], "Error in CONNECT properties: A network protocol error occurred when communicating with the broker.\n"),
            (
                &[&["publish", "message-expiry-interval", "1"], &["publish", "message-expiry-interval", "2"]],
                "Error in PUBLISH properties: Duplicate property in property list\n",
            ),
        ] {
            assert_eq!(given(list).unwrap_err(), text, "{list:?}");
        }
    }

    #[test]
    fn topic_alias_lets_the_client_alias() {
        assert!(
            given(&[&["publish", "topic-alias", "3"]])
                .unwrap()
                .topic_alias
        );
    }
}
