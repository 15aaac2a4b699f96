//! How Paho Python prints values: `repr` of `bytes` and `str`, its
//! `Properties.__str__`, its reason-code names.

use mqtt_proto::properties::UserProperty;
use mqtt_proto::{
    AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties, PacketType,
    PublishProperties, ReasonCode, UnsubscribeProperties,
};
use std::fmt::Write;

/// Python's quote choice: `'` unless the text has `'` and no `"`.
fn quote_for(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double {
        '"'
    } else {
        '\''
    }
}

/// `repr(b"...")`: `b'a/b'`, `b'\x01\x02ab'`.
pub(super) fn bytes_repr(bytes: &[u8]) -> String {
    let quote = quote_for(bytes.contains(&b'\''), bytes.contains(&b'"'));
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote as u8 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote);
    out
}

/// `repr("...")`: `'a'`, `"it's"`, `'\x00'`.
pub(super) fn str_repr(s: &str) -> String {
    let quote = quote_for(s.contains('\''), s.contains('"'));
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(quote);
            }
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A reason code's name in Paho's `ReasonCode.names`, for `packet`.
pub(super) fn reason_name(code: ReasonCode, packet: PacketType) -> &'static str {
    use ReasonCode as R;
    match code {
        R::Success => match packet {
            PacketType::Disconnect => "Normal disconnection",
            PacketType::SubAck => "Granted QoS 0",
            _ => "Success",
        },
        R::GrantedQoS1 => "Granted QoS 1",
        R::GrantedQoS2 => "Granted QoS 2",
        R::DisconnectWithWillMessage => "Disconnect with will message",
        R::NoMatchingSubscribers => "No matching subscribers",
        R::NoSubscriptionExisted => "No subscription found",
        R::ContinueAuthentication => "Continue authentication",
        R::ReAuthenticate => "Re-authenticate",
        R::UnspecifiedError => "Unspecified error",
        R::MalformedPacket => "Malformed packet",
        R::ProtocolError => "Protocol error",
        R::ImplementationSpecificError => "Implementation specific error",
        R::UnsupportedProtocolVersion => "Unsupported protocol version",
        R::ClientIdentifierNotValid => "Client identifier not valid",
        R::BadUserNameOrPassword => "Bad user name or password",
        R::NotAuthorized => "Not authorized",
        R::ServerUnavailable => "Server unavailable",
        R::ServerBusy => "Server busy",
        R::Banned => "Banned",
        R::ServerShuttingDown => "Server shutting down",
        R::BadAuthenticationMethod => "Bad authentication method",
        R::KeepAliveTimeout => "Keep alive timeout",
        R::SessionTakenOver => "Session taken over",
        R::TopicFilterInvalid => "Topic filter invalid",
        R::TopicNameInvalid => "Topic name invalid",
        R::PacketIdentifierInUse => "Packet identifier in use",
        R::PacketIdentifierNotFound => "Packet identifier not found",
        R::ReceiveMaximumExceeded => "Receive maximum exceeded",
        R::TopicAliasInvalid => "Topic alias invalid",
        R::PacketTooLarge => "Packet too large",
        R::MessageRateTooHigh => "Message rate too high",
        R::QuotaExceeded => "Quota exceeded",
        R::AdministrativeAction => "Administrative action",
        R::PayloadFormatInvalid => "Payload format invalid",
        R::RetainNotSupported => "Retain not supported",
        R::QoSNotSupported => "QoS not supported",
        R::UseAnotherServer => "Use another server",
        R::ServerMoved => "Server moved",
        R::SharedSubscriptionsNotSupported => "Shared subscription not supported",
        R::ConnectionRateExceeded => "Connection rate exceeded",
        R::MaximumConnectTime => "Maximum connect time",
        R::SubscriptionIdentifiersNotSupported => "Subscription identifiers not supported",
        R::WildcardSubscriptionsNotSupported => "Wildcard subscription not supported",
    }
}

/// Paho's `Properties.__str__`: `[ReceiveMaximum : 20, UserProperty : [('a', 'b')]]`,
/// the properties in the order of Paho's table (by identifier).
#[derive(Default)]
pub(super) struct Props(Vec<(u8, &'static str, String)>);

impl Props {
    fn put(&mut self, id: u8, name: &'static str, value: Option<String>) {
        if let Some(v) = value {
            self.0.push((id, name, v));
        }
    }

    fn users(&mut self, users: &[UserProperty]) {
        if users.is_empty() {
            return;
        }
        let pairs: Vec<String> = users
            .iter()
            .map(|(k, v)| format!("({}, {})", str_repr(k.as_str()), str_repr(v.as_str())))
            .collect();
        self.0
            .push((38, "UserProperty", format!("[{}]", pairs.join(", "))));
    }

    /// Authentication data is a secret: its presence shows, never its value.
    fn secret(&mut self, id: u8, name: &'static str, present: bool) {
        self.put(id, name, present.then(|| "***".to_string()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `[...]`, or Paho's `None` for what the application sent without
    /// properties when `none_if_empty`.
    pub fn render(mut self, none_if_empty: bool) -> String {
        if self.0.is_empty() && none_if_empty {
            return "None".to_string();
        }
        self.0.sort_by_key(|p| p.0);
        let items: Vec<String> = self
            .0
            .into_iter()
            .map(|(_, name, value)| format!("{name} : {value}"))
            .collect();
        format!("[{}]", items.join(", "))
    }

    pub fn connect(p: &ConnectProperties) -> Self {
        let mut s = Self::default();
        s.put(
            17,
            "SessionExpiryInterval",
            p.session_expiry_interval.map(num),
        );
        s.put(33, "ReceiveMaximum", p.receive_maximum.map(num));
        s.put(39, "MaximumPacketSize", p.maximum_packet_size.map(num));
        s.put(34, "TopicAliasMaximum", p.topic_alias_maximum.map(num));
        s.put(
            25,
            "RequestResponseInformation",
            p.request_response_information.map(flag),
        );
        s.put(
            23,
            "RequestProblemInformation",
            p.request_problem_information.map(flag),
        );
        s.users(&p.user_properties);
        s.put(
            21,
            "AuthenticationMethod",
            p.authentication_method.as_ref().map(text),
        );
        s.secret(22, "AuthenticationData", p.authentication_data.is_some());
        s
    }

    pub fn connack(p: &ConnAckProperties) -> Self {
        let mut s = Self::default();
        s.put(
            17,
            "SessionExpiryInterval",
            p.session_expiry_interval.map(num),
        );
        s.put(33, "ReceiveMaximum", p.receive_maximum.map(num));
        s.put(36, "MaximumQoS", p.maximum_qos.map(|q| num(q as u8)));
        s.put(37, "RetainAvailable", p.retain_available.map(flag));
        s.put(39, "MaximumPacketSize", p.maximum_packet_size.map(num));
        s.put(
            18,
            "AssignedClientIdentifier",
            p.assigned_client_identifier.as_ref().map(text),
        );
        s.put(34, "TopicAliasMaximum", p.topic_alias_maximum.map(num));
        s.put(31, "ReasonString", p.reason_string.as_ref().map(text));
        s.users(&p.user_properties);
        s.put(
            40,
            "WildcardSubscriptionAvailable",
            p.wildcard_subscription_available.map(flag),
        );
        s.put(
            41,
            "SubscriptionIdentifierAvailable",
            p.subscription_identifiers_available.map(flag),
        );
        s.put(
            42,
            "SharedSubscriptionAvailable",
            p.shared_subscription_available.map(flag),
        );
        s.put(19, "ServerKeepAlive", p.server_keep_alive.map(num));
        s.put(
            26,
            "ResponseInformation",
            p.response_information.as_ref().map(text),
        );
        s.put(28, "ServerReference", p.server_reference.as_ref().map(text));
        s.put(
            21,
            "AuthenticationMethod",
            p.authentication_method.as_ref().map(text),
        );
        s.secret(22, "AuthenticationData", p.authentication_data.is_some());
        s
    }

    pub fn publish(p: &PublishProperties) -> Self {
        let mut s = Self::default();
        s.put(
            1,
            "PayloadFormatIndicator",
            p.payload_format_indicator.map(|f| num(f as u8)),
        );
        s.put(
            2,
            "MessageExpiryInterval",
            p.message_expiry_interval.map(num),
        );
        s.put(35, "TopicAlias", p.topic_alias.map(num));
        s.put(
            8,
            "ResponseTopic",
            p.response_topic.as_ref().map(|t| t.as_str().to_string()),
        );
        s.put(
            9,
            "CorrelationData",
            p.correlation_data.as_deref().map(bytes_repr),
        );
        s.users(&p.user_properties);
        if !p.subscription_identifiers.is_empty() {
            let ids: Vec<String> = p
                .subscription_identifiers
                .iter()
                .map(|i| num(i.get()))
                .collect();
            s.0.push((
                11,
                "SubscriptionIdentifier",
                format!("[{}]", ids.join(", ")),
            ));
        }
        s.put(3, "ContentType", p.content_type.as_ref().map(text));
        s
    }

    pub fn unsubscribe(p: &UnsubscribeProperties) -> Self {
        let mut s = Self::default();
        s.users(&p.user_properties);
        s
    }

    pub fn disconnect(p: &DisconnectProperties) -> Self {
        let mut s = Self::default();
        s.put(
            17,
            "SessionExpiryInterval",
            p.session_expiry_interval.map(num),
        );
        s.put(31, "ReasonString", p.reason_string.as_ref().map(text));
        s.users(&p.user_properties);
        s.put(28, "ServerReference", p.server_reference.as_ref().map(text));
        s
    }

    pub fn auth(p: &AuthProperties) -> Self {
        let mut s = Self::default();
        s.put(
            21,
            "AuthenticationMethod",
            p.authentication_method.as_ref().map(text),
        );
        s.secret(22, "AuthenticationData", p.authentication_data.is_some());
        s.put(31, "ReasonString", p.reason_string.as_ref().map(text));
        s.users(&p.user_properties);
        s
    }
}

fn num(n: impl std::fmt::Display) -> String {
    n.to_string()
}

/// Paho keeps byte-valued flags as ints: `RetainAvailable : 0`.
fn flag(b: bool) -> String {
    u8::from(b).to_string()
}

/// Strings print as they are (`f"{name} : {value}"`).
fn text(s: &mqtt_proto::MqttString) -> String {
    s.as_str().to_string()
}
