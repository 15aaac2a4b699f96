//! MQTT 5.0 properties: all 27, typed, grouped per packet so that a packet
//! can only hold the properties the specification allows in it.
//!
//! User properties keep their order and duplicates; every other property may
//! appear at most once, except Subscription Identifier in PUBLISH.

use crate::error::{DecodeError, EncodeError};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::wire::{
    self, put_prefixed, put_varint, varint_len, Put, Reader, MAX_VARIABLE_BYTE_INTEGER,
};
use bytes::{Bytes, BytesMut};
use core::num::{NonZeroU16, NonZeroU32};

mod boxed;
mod build;
// The identifiers live in a leaf module of their own, which errors name
// too: under `properties` they would make `error` and `properties`
// import each other.
pub(crate) use crate::property_id as id;
pub use boxed::{PropertyBox, PropertySet};
pub use build::PropertyError;
pub use id::PropertyId;

/// A user property: a name and a value, both UTF-8 strings.
pub type UserProperty = (MqttString, MqttString);

/// The Payload Format Indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayloadFormat {
    /// 0: unspecified bytes.
    #[default]
    Unspecified = 0,
    /// 1: UTF-8 encoded character data.
    Utf8 = 1,
}

/// A Subscription Identifier: 1..=268,435,455.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(NonZeroU32);

impl SubscriptionId {
    /// The largest identifier (the largest four-byte Variable Byte Integer).
    pub const MAX: u32 = MAX_VARIABLE_BYTE_INTEGER;

    /// The identifier for `value`, `None` for 0 or above [`SubscriptionId::MAX`].
    pub const fn new(value: u32) -> Option<Self> {
        if value > Self::MAX {
            return None;
        }
        match NonZeroU32::new(value) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// How one property value is read, sized, checked and written.
pub(crate) trait PropertyValue: Sized {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError>;
    fn len(&self) -> usize;
    fn write(&self, buf: &mut BytesMut);
    fn check(&self, _id: PropertyId) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl PropertyValue for u16 {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.u16("property value")
    }
    fn len(&self) -> usize {
        2
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(*self);
    }
}

impl PropertyValue for u32 {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.u32("property value")
    }
    fn len(&self) -> usize {
        4
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(*self);
    }
}

impl PropertyValue for NonZeroU16 {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU16::new(r.u16("property value")?).ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        2
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.get());
    }
}

impl PropertyValue for NonZeroU32 {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU32::new(r.u32("property value")?).ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        4
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(self.get());
    }
}

impl PropertyValue for bool {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match r.u8("property value")? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidPropertyValue(id)),
        }
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(u8::from(*self));
    }
}

impl PropertyValue for PayloadFormat {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match r.u8("property value")? {
            0 => Ok(Self::Unspecified),
            1 => Ok(Self::Utf8),
            _ => Err(DecodeError::InvalidPropertyValue(id)),
        }
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(*self as u8);
    }
}

/// Maximum QoS: only 0 and 1 may be sent; absence means 2.
impl PropertyValue for QoS {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match r.u8("property value")? {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            _ => Err(DecodeError::InvalidPropertyValue(id)),
        }
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(*self as u8);
    }
    fn check(&self, id: PropertyId) -> Result<(), EncodeError> {
        match self {
            QoS::ExactlyOnce => Err(EncodeError::InvalidPropertyValue(id)),
            _ => Ok(()),
        }
    }
}

impl PropertyValue for SubscriptionId {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        SubscriptionId::new(r.varint("subscription identifier")?)
            .ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        varint_len(self.get())
    }
    fn write(&self, buf: &mut BytesMut) {
        put_varint(buf, self.get());
    }
}

impl PropertyValue for MqttString {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.string("string property")
    }
    fn len(&self) -> usize {
        2 + MqttString::len(self)
    }
    fn write(&self, buf: &mut BytesMut) {
        put_prefixed(buf, self.as_bytes());
    }
}

impl PropertyValue for TopicName {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.topic_name("response topic")
    }
    fn len(&self) -> usize {
        2 + TopicName::len(self)
    }
    fn write(&self, buf: &mut BytesMut) {
        put_prefixed(buf, self.as_bytes());
    }
}

impl PropertyValue for Bytes {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.binary("binary property")
    }
    fn len(&self) -> usize {
        2 + Bytes::len(self)
    }
    fn write(&self, buf: &mut BytesMut) {
        put_prefixed(buf, self);
    }
    fn check(&self, _: PropertyId) -> Result<(), EncodeError> {
        wire::binary_len(self, "binary property").map(|_| ())
    }
}

impl PropertyValue for UserProperty {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        Ok((
            r.string("user property name")?,
            r.string("user property value")?,
        ))
    }
    fn len(&self) -> usize {
        4 + self.0.len() + self.1.len()
    }
    fn write(&self, buf: &mut BytesMut) {
        put_prefixed(buf, self.0.as_bytes());
        put_prefixed(buf, self.1.as_bytes());
    }
}

/// Reading a property section, for every property group.
pub(crate) trait ReadSection: Default {
    /// Reads the properties of a section `len` bytes long (not zero) into
    /// `self`, which is empty.
    fn read_into(&mut self, r: &mut Reader, len: usize) -> Result<(), DecodeError>;

    /// The properties of a section `len` bytes long (not zero).
    fn read_section(r: &mut Reader, len: usize) -> Result<Self, DecodeError> {
        let mut props = Self::default();
        props.read_into(r, len)?;
        Ok(props)
    }

    /// [`read_section`](Self::read_section) into a [`PropertyBox`], read
    /// in place on the heap rather than built on the stack and moved there.
    fn read_boxed(r: &mut Reader, len: usize) -> Result<PropertyBox<Self>, DecodeError>
    where
        Self: PropertySet,
    {
        let mut props = Box::<Self>::default();
        props.read_into(r, len)?;
        Ok(PropertyBox::from_box(props))
    }

    /// Reads a property section: a length, then properties up to it.
    ///
    /// Values are read from the section alone, so a property that runs
    /// past the declared length is malformed before its value is judged (a
    /// cut-off Receive Maximum of 0 is not a Protocol Error).
    ///
    /// Inlined up to the usual empty section; the rest is out of line.
    #[inline]
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let len = r.varint("property length")? as usize;
        if len == 0 {
            return Ok(Self::default());
        }
        Self::read_section(r, len)
    }
}

/// Generates a property group: the struct, and its decoder and encoder, from
/// one table, so the three can never disagree. `once` fields may appear at
/// most once (`Option`), `many` fields any number of times (`Vec`, in order).
macro_rules! property_group {
    (
        $(#[$meta:meta])*
        $name:ident in $packet:literal {
            $( $(#[$fmeta:meta])* $mode:ident $field:ident : $ty:ty = $id:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Default)]
        #[doc(alias = "Properties")]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: property_group!(@ty $mode $ty), )*
        }

        /// Shows only the properties that are present, as they appear in logs.
        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut s = f.debug_struct(stringify!($name));
                $( property_group!(@debug $mode self.$field, s, $field); )*
                s.finish()
            }
        }

        impl $crate::properties::PropertySet for $name {
            const EMPTY: &'static Self = &Self {
                $( $field: property_group!(@empty $mode), )*
            };

            fn is_empty(&self) -> bool {
                $name::is_empty(self)
            }
        }

        impl $name {
            /// Whether no property is set.
            pub fn is_empty(&self) -> bool {
                true $( && property_group!(@is_empty $mode self.$field) )*
            }

            /// Checks values the type alone cannot rule out (binary lengths, Maximum QoS 2).
            pub(crate) fn check(&self) -> Result<(), EncodeError> {
                $( property_group!(@check $mode self.$field, $id); )*
                Ok(())
            }

            /// Bytes of the properties, without the length prefix.
            pub(crate) fn body_len(&self) -> usize {
                let mut n = 0;
                $( property_group!(@len $mode self.$field, n); )*
                n
            }

            /// Bytes of the property section: length prefix and properties.
            pub(crate) fn wire_len(&self) -> usize {
                let body = self.body_len();
                varint_len(body as u32) + body
            }

            /// Writes the length prefix and the properties.
            pub(crate) fn write(&self, buf: &mut BytesMut) {
                put_varint(buf, self.body_len() as u32);
                $( property_group!(@write $mode self.$field, $id, buf); )*
            }
        }

        impl ReadSection for $name {
            fn read_into(&mut self, r: &mut Reader, len: usize) -> Result<(), DecodeError> {
                if len > r.remaining() {
                    return Err(DecodeError::Truncated("properties"));
                }
                let props = self;
                r.within(len, |r| {
                    while r.remaining() > 0 {
                        let byte = r.u8("property identifier")?;
                        let id = PropertyId::from_u8(byte).ok_or(DecodeError::UnknownProperty(byte))?;
                        match id {
                            $( PropertyId::$id => property_group!(@read $mode props.$field, r, $id), )*
                            other => {
                                return Err(DecodeError::PropertyNotAllowed {
                                    packet: $packet,
                                    property: other,
                                })
                            }
                        }
                    }
                    Ok(())
                })
                .map_err(|e| match e {
                    DecodeError::Truncated(_) => DecodeError::PropertyLengthMismatch,
                    other => other,
                })
            }
        }
    };
    (@debug once $f:expr, $s:ident, $field:ident) => {
        if let Some(v) = &$f { $s.field(stringify!($field), v); }
    };
    (@debug many $f:expr, $s:ident, $field:ident) => {
        if !$f.is_empty() { $s.field(stringify!($field), &$f); }
    };
    (@ty once $ty:ty) => { Option<$ty> };
    (@ty many $ty:ty) => { Vec<$ty> };
    (@empty once) => { None };
    (@empty many) => { Vec::new() };
    (@is_empty once $f:expr) => { $f.is_none() };
    (@is_empty many $f:expr) => { $f.is_empty() };
    (@check once $f:expr, $id:ident) => {
        if let Some(v) = &$f { v.check(PropertyId::$id)?; }
    };
    (@check many $f:expr, $id:ident) => {
        for v in &$f { v.check(PropertyId::$id)?; }
    };
    (@len once $f:expr, $n:ident) => {
        if let Some(v) = &$f { $n += 1 + PropertyValue::len(v); }
    };
    (@len many $f:expr, $n:ident) => {
        for v in &$f { $n += 1 + PropertyValue::len(v); }
    };
    (@write once $f:expr, $id:ident, $buf:ident) => {
        if let Some(v) = &$f { $buf.put_u8(PropertyId::$id as u8); v.write($buf); }
    };
    (@write many $f:expr, $id:ident, $buf:ident) => {
        for v in &$f { $buf.put_u8(PropertyId::$id as u8); v.write($buf); }
    };
    (@read once $f:expr, $r:ident, $id:ident) => {{
        if $f.is_some() {
            return Err(DecodeError::DuplicateProperty(PropertyId::$id));
        }
        $f = Some(PropertyValue::read($r, PropertyId::$id)?);
    }};
    (@read many $f:expr, $r:ident, $id:ident) => {{
        $f.push(PropertyValue::read($r, PropertyId::$id)?);
    }};
}

property_group! {
    /// Properties of CONNECT.
    ConnectProperties in "CONNECT" {
        /// Seconds the server keeps the session after the connection closes; absent means 0.
        once session_expiry_interval: u32 = SessionExpiryInterval,
        /// How many QoS 1/2 publishes the client will process at once; absent means 65,535.
        once receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The largest packet the client accepts.
        once maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The highest topic alias the client accepts from the server; absent means 0.
        once topic_alias_maximum: u16 = TopicAliasMaximum,
        /// Asks the server for Response Information in CONNACK.
        once request_response_information: bool = RequestResponseInformation,
        /// Whether the server may send reason strings and user properties on failures; absent means true.
        once request_problem_information: bool = RequestProblemInformation,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
        /// The enhanced authentication method.
        once authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        once authentication_data: Bytes = AuthenticationData,
    }
}

property_group! {
    /// Properties of the will message in CONNECT.
    WillProperties in "will properties" {
        /// Seconds the server waits before publishing the will.
        once will_delay_interval: u32 = WillDelayInterval,
        /// Whether the payload is UTF-8.
        once payload_format_indicator: PayloadFormat = PayloadFormatIndicator,
        /// Lifetime of the will message in seconds.
        once message_expiry_interval: u32 = MessageExpiryInterval,
        /// Content type of the payload.
        once content_type: MqttString = ContentType,
        /// Topic for a response.
        once response_topic: TopicName = ResponseTopic,
        /// Correlation data for a response.
        once correlation_data: Bytes = CorrelationData,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
    }
}

property_group! {
    /// Properties of CONNACK.
    ConnAckProperties in "CONNACK" {
        /// The session expiry the server chose.
        once session_expiry_interval: u32 = SessionExpiryInterval,
        /// How many QoS 1/2 publishes the server will process at once; absent means 65,535.
        once receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The highest QoS the server supports (0 or 1); absent means 2.
        once maximum_qos: QoS = MaximumQoS,
        /// Whether the server supports retained messages; absent means true.
        once retain_available: bool = RetainAvailable,
        /// The largest packet the server accepts.
        once maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The client identifier the server assigned to an empty one.
        once assigned_client_identifier: MqttString = AssignedClientIdentifier,
        /// The highest topic alias the server accepts; absent means 0.
        once topic_alias_maximum: u16 = TopicAliasMaximum,
        /// Human-readable diagnostics.
        once reason_string: MqttString = ReasonString,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
        /// Whether wildcard subscriptions are supported; absent means true.
        once wildcard_subscription_available: bool = WildcardSubscriptionAvailable,
        /// Whether subscription identifiers are supported; absent means true.
        once subscription_identifiers_available: bool = SubscriptionIdentifierAvailable,
        /// Whether shared subscriptions are supported; absent means true.
        once shared_subscription_available: bool = SharedSubscriptionAvailable,
        /// The keepalive the client must use instead of its own.
        once server_keep_alive: u16 = ServerKeepAlive,
        /// Basis for response topics.
        once response_information: MqttString = ResponseInformation,
        /// Another server to use.
        once server_reference: MqttString = ServerReference,
        /// The enhanced authentication method.
        once authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        once authentication_data: Bytes = AuthenticationData,
    }
}

property_group! {
    /// Properties of PUBLISH.
    PublishProperties in "PUBLISH" {
        /// Whether the payload is UTF-8.
        once payload_format_indicator: PayloadFormat = PayloadFormatIndicator,
        /// Lifetime of the message in seconds.
        once message_expiry_interval: u32 = MessageExpiryInterval,
        /// A topic alias standing for the topic name.
        once topic_alias: NonZeroU16 = TopicAlias,
        /// Topic for a response.
        once response_topic: TopicName = ResponseTopic,
        /// Correlation data for a response.
        once correlation_data: Bytes = CorrelationData,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
        /// Identifiers of the subscriptions that matched (server to client only).
        many subscription_identifiers: SubscriptionId = SubscriptionIdentifier,
        /// Content type of the payload.
        once content_type: MqttString = ContentType,
    }
}

property_group! {
    /// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
    AckProperties in "acknowledgement" {
        /// Human-readable diagnostics.
        once reason_string: MqttString = ReasonString,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
    }
}

property_group! {
    /// Properties of SUBSCRIBE.
    SubscribeProperties in "SUBSCRIBE" {
        /// Identifier the server attaches to messages matching these subscriptions.
        once subscription_identifier: SubscriptionId = SubscriptionIdentifier,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
    }
}

property_group! {
    /// Properties of UNSUBSCRIBE.
    UnsubscribeProperties in "UNSUBSCRIBE" {
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
    }
}

property_group! {
    /// Properties of DISCONNECT.
    DisconnectProperties in "DISCONNECT" {
        /// A new session expiry interval (client to server only).
        once session_expiry_interval: u32 = SessionExpiryInterval,
        /// Human-readable diagnostics.
        once reason_string: MqttString = ReasonString,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
        /// Another server to use.
        once server_reference: MqttString = ServerReference,
    }
}

property_group! {
    /// Properties of AUTH.
    AuthProperties in "AUTH" {
        /// The enhanced authentication method.
        once authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        once authentication_data: Bytes = AuthenticationData,
        /// Human-readable diagnostics.
        once reason_string: MqttString = ReasonString,
        /// User properties, in order.
        many user_properties: UserProperty = UserProperty,
    }
}
