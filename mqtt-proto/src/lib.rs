//! The MQTT packet model and codec: MQTT 3.1, 3.1.1 and 5.0, no I/O, no clock.
//!
//! One packet model serves all three versions (the 5.0 superset); the
//! version is a parameter of the [`Decoder`] and [`Encoder`]. Types only hold
//! valid values: a QoS 1/2 publish always has a [`PacketId`], strings are
//! checked UTF-8 without U+0000, topic names carry no wildcards, and each
//! packet can only hold the 5.0 properties the specification allows in it.
//!
//! Decoding is zero-copy and streaming; every malformed input is a
//! [`DecodeError`] that names the reason code to answer with.
//! [`Decoder::decode`] hands out packets that own their data as `Bytes`
//! views of the input; [`Decoder::decode_view`] reads them in place, a
//! PUBLISH borrowing its topic and payload ([`PublishView`]), with the same
//! checks and the same errors. Encoding checks
//! the whole packet against the version and size limits before writing, so
//! an [`EncodeError`] never leaves a partial packet behind.
//!
//! ```
//! use bytes::BytesMut;
//! use mqtt_proto::*;
//!
//! let version = ProtocolVersion::V5;
//! let mut publish = Publish::new(TopicName::new("sensors/1").unwrap(), "21.5");
//! publish.delivery = Delivery::AtLeastOnce(PacketId::new(1).unwrap());
//! publish.properties.message_expiry_interval = Some(60);
//!
//! let mut wire = BytesMut::new();
//! Encoder::new(version).encode(&publish, &mut wire).unwrap();
//!
//! let decoded = Decoder::new(version).decode(&mut wire).unwrap();
//! assert_eq!(decoded, Some(Packet::Publish(publish)));
//! ```

// One audited exception, `string::as_validated_str`; nothing else may use it.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
pub mod packet;
mod packet_type;
pub mod properties;
mod property_id;
mod qos;
mod reason;
#[cfg(feature = "reference")]
pub mod reference;
mod string;
pub mod topic;
mod version;
mod view;
mod wire;

pub use codec::{Decoder, Encoder};
pub use error::{DecodeError, EncodeError};
pub use packet::frame::{FixedHeader, MAX_PACKET_SIZE};
pub use packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, Encodable, LastWill, Packet, PacketType, Publish,
    RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe,
};
pub use properties::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    PayloadFormat, PropertyBox, PropertyError, PropertyId, PropertySet, PublishProperties,
    SubscribeProperties, SubscriptionId, UnsubscribeProperties, UserProperty, WillProperties,
};
pub use qos::{Delivery, PacketId, QoS};
pub use reason::ReasonCode;
pub use string::{MqttString, StringError, MAX_STRING_LEN};
pub use topic::{topic_matches_sub, TopicError, TopicFilter, TopicName, TopicRouter};
pub use version::ProtocolVersion;
pub use view::{PacketView, PublishView};
pub use wire::MAX_VARIABLE_BYTE_INTEGER;
