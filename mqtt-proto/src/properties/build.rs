//! Builders for the property sets an application writes: one call per
//! property, without `MqttString::new(..).unwrap()` or `NonZero*` types.
//!
//! ```
//! use mqtt_proto::PublishProperties;
//!
//! let p = PublishProperties::new()
//!     .user_property("k", "v")
//!     .message_expiry_interval(60)
//!     .response_topic("replies/7")
//!     .correlation_data(&b"req-7"[..])
//!     .content_type("text/plain");
//! assert_eq!(p.user_properties.len(), 1);
//! assert_eq!(p.message_expiry_interval, Some(60));
//!
//! // A value the protocol forbids panics in the plain setter; the `try_`
//! // one returns the error instead.
//! assert!(PublishProperties::new().try_response_topic("replies/#").is_err());
//! assert!(PublishProperties::new().try_user_property("k", "nul\0").is_err());
//! ```
//!
//! Setters for strings take anything `Into<String>`, for binary data
//! anything `Into<Bytes>`, for numbers the plain integer. Only what the
//! type cannot rule out can fail: a string with U+0000 or over 65,535
//! bytes, a topic with wildcards, a zero where the protocol needs a
//! positive number (Receive Maximum, Maximum Packet Size, Topic Alias,
//! Subscription Identifier). Each such setter has a `try_` twin returning
//! a [`PropertyError`]; the plain one panics with that error, which for a
//! literal is a bug in the program, as with an invalid regex literal.

use super::{
    AuthProperties, ConnectProperties, DisconnectProperties, PayloadFormat, PropertyId,
    PublishProperties, SubscribeProperties, SubscriptionId, UnsubscribeProperties, WillProperties,
};
use crate::string::MqttString;
use crate::topic::TopicName;
use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};

/// A property value the protocol does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {property:?} property: {reason}")]
pub struct PropertyError {
    /// The property.
    pub property: PropertyId,
    /// Why its value is invalid.
    pub reason: String,
}

impl PropertyError {
    fn new(property: PropertyId, reason: impl ToString) -> Self {
        Self {
            property,
            reason: reason.to_string(),
        }
    }
}

fn string(id: PropertyId, v: impl Into<String>) -> Result<MqttString, PropertyError> {
    MqttString::new(v).map_err(|e| PropertyError::new(id, e))
}

fn topic(id: PropertyId, v: impl Into<String>) -> Result<TopicName, PropertyError> {
    TopicName::new(v).map_err(|e| PropertyError::new(id, e))
}

fn nz16(id: PropertyId, v: u16) -> Result<NonZeroU16, PropertyError> {
    NonZeroU16::new(v).ok_or_else(|| PropertyError::new(id, "must be at least 1"))
}

fn nz32(id: PropertyId, v: u32) -> Result<NonZeroU32, PropertyError> {
    NonZeroU32::new(v).ok_or_else(|| PropertyError::new(id, "must be at least 1"))
}

fn subid(id: PropertyId, v: u32) -> Result<SubscriptionId, PropertyError> {
    SubscriptionId::new(v)
        .ok_or_else(|| PropertyError::new(id, format!("must be 1 to {}", SubscriptionId::MAX)))
}

/// Setters for one property set. Kinds: `value` (the field's own type),
/// `bytes` (`Into<Bytes>`), and the fallible `string`, `topic`, `nz16`,
/// `nz32`, `subid`, each with a `try_` twin; `user` adds
/// `user_property` / `try_user_property`.
macro_rules! builders {
    ($group:ident { $($kind:ident $field:ident $($try:ident)? $(: $ty:ty)? = $id:ident;)* }) => {
        impl $group {
            /// No property set (the same as `Default`).
            pub fn new() -> Self {
                Self::default()
            }

            $( builders!(@one $kind $field $($try)? $(: $ty)? = $id); )*
        }
    };
    (@one value $field:ident : $ty:ty = $id:ident) => {
        #[doc = concat!("Sets ", stringify!($id), ".")]
        #[must_use]
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@one bytes $field:ident = $id:ident) => {
        #[doc = concat!("Sets ", stringify!($id), ".")]
        #[must_use]
        pub fn $field(mut self, value: impl Into<Bytes>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@one user $field:ident $try:ident = $id:ident) => {
        /// Adds a user property (kept in order, duplicates allowed).
        ///
        /// # Panics
        /// If the name or value is not a valid MQTT string (U+0000, over
        /// 65,535 bytes); see the `try_` twin.
        #[must_use]
        #[track_caller]
        pub fn $field(self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.$try(name, value).unwrap_or_else(|e| panic!("{e}"))
        }

        /// Adds a user property, or says why it is invalid.
        pub fn $try(
            mut self,
            name: impl Into<String>,
            value: impl Into<String>,
        ) -> Result<Self, PropertyError> {
            let pair = (
                string(PropertyId::$id, name)?,
                string(PropertyId::$id, value)?,
            );
            self.user_properties.push(pair);
            Ok(self)
        }
    };
    (@one $kind:ident $field:ident $try:ident : $input:ty = $id:ident) => {
        #[doc = concat!("Sets ", stringify!($id), ".")]
        ///
        /// # Panics
        /// If the protocol does not allow the value; see the `try_` twin.
        #[must_use]
        #[track_caller]
        pub fn $field(self, value: $input) -> Self {
            self.$try(value).unwrap_or_else(|e| panic!("{e}"))
        }

        #[doc = concat!("Sets ", stringify!($id), ", or says why the value is invalid.")]
        pub fn $try(mut self, value: $input) -> Result<Self, PropertyError> {
            self.$field = Some($kind(PropertyId::$id, value)?);
            Ok(self)
        }
    };
}

builders!(ConnectProperties {
    value session_expiry_interval: u32 = SessionExpiryInterval;
    nz16 receive_maximum try_receive_maximum: u16 = ReceiveMaximum;
    nz32 maximum_packet_size try_maximum_packet_size: u32 = MaximumPacketSize;
    value topic_alias_maximum: u16 = TopicAliasMaximum;
    value request_response_information: bool = RequestResponseInformation;
    value request_problem_information: bool = RequestProblemInformation;
    user user_property try_user_property = UserProperty;
    string authentication_method try_authentication_method: impl Into<String> = AuthenticationMethod;
    bytes authentication_data = AuthenticationData;
});

builders!(WillProperties {
    value will_delay_interval: u32 = WillDelayInterval;
    value payload_format_indicator: PayloadFormat = PayloadFormatIndicator;
    value message_expiry_interval: u32 = MessageExpiryInterval;
    string content_type try_content_type: impl Into<String> = ContentType;
    topic response_topic try_response_topic: impl Into<String> = ResponseTopic;
    bytes correlation_data = CorrelationData;
    user user_property try_user_property = UserProperty;
});

builders!(PublishProperties {
    value payload_format_indicator: PayloadFormat = PayloadFormatIndicator;
    value message_expiry_interval: u32 = MessageExpiryInterval;
    nz16 topic_alias try_topic_alias: u16 = TopicAlias;
    topic response_topic try_response_topic: impl Into<String> = ResponseTopic;
    bytes correlation_data = CorrelationData;
    user user_property try_user_property = UserProperty;
    string content_type try_content_type: impl Into<String> = ContentType;
});

builders!(SubscribeProperties {
    subid subscription_identifier try_subscription_identifier: u32 = SubscriptionIdentifier;
    user user_property try_user_property = UserProperty;
});

builders!(UnsubscribeProperties {
    user user_property try_user_property = UserProperty;
});

builders!(DisconnectProperties {
    value session_expiry_interval: u32 = SessionExpiryInterval;
    string reason_string try_reason_string: impl Into<String> = ReasonString;
    user user_property try_user_property = UserProperty;
    string server_reference try_server_reference: impl Into<String> = ServerReference;
});

builders!(AuthProperties {
    string authentication_method try_authentication_method: impl Into<String> = AuthenticationMethod;
    bytes authentication_data = AuthenticationData;
    string reason_string try_reason_string: impl Into<String> = ReasonString;
    user user_property try_user_property = UserProperty;
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setter_sets_its_field() {
        let p = PublishProperties::new()
            .payload_format_indicator(PayloadFormat::Utf8)
            .message_expiry_interval(60)
            .response_topic("r/t")
            .correlation_data(vec![1, 2])
            .user_property("k", "v")
            .user_property("k", "w")
            .content_type("text/plain");
        assert_eq!(p.payload_format_indicator, Some(PayloadFormat::Utf8));
        assert_eq!(p.response_topic.as_ref().map(|t| t.as_str()), Some("r/t"));
        assert_eq!(p.correlation_data.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(p.user_properties.len(), 2);
        assert_eq!(
            p.content_type.as_ref().map(|s| s.as_str()),
            Some("text/plain")
        );
        let c = ConnectProperties::new()
            .session_expiry_interval(3600)
            .receive_maximum(10)
            .maximum_packet_size(1 << 20);
        assert_eq!(c.receive_maximum.map(|n| n.get()), Some(10));
        let s = SubscribeProperties::new().subscription_identifier(7);
        assert_eq!(s.subscription_identifier.map(|i| i.get()), Some(7));
        let d = DisconnectProperties::new().reason_string("bye");
        assert_eq!(d.reason_string.as_ref().map(|s| s.as_str()), Some("bye"));
    }

    #[test]
    fn invalid_values_are_errors_naming_the_property() {
        let e = ConnectProperties::new().try_receive_maximum(0).unwrap_err();
        assert_eq!(e.property, PropertyId::ReceiveMaximum);
        let e = SubscribeProperties::new()
            .try_subscription_identifier(0)
            .unwrap_err();
        assert_eq!(e.property, PropertyId::SubscriptionIdentifier);
        let e = PublishProperties::new()
            .try_response_topic("a/+")
            .unwrap_err();
        assert_eq!(e.property, PropertyId::ResponseTopic);
        assert!(e.to_string().contains("ResponseTopic"), "{e}");
        let e = WillProperties::new().try_content_type("a\0b").unwrap_err();
        assert_eq!(e.property, PropertyId::ContentType);
    }

    #[test]
    #[should_panic(expected = "invalid TopicAlias property")]
    fn the_plain_setter_panics_on_an_invalid_literal() {
        let _ = PublishProperties::new().topic_alias(0);
    }
}
