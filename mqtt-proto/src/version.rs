//! Protocol versions.

use core::fmt;

/// The MQTT protocol version a codec speaks.
///
/// The packet model is the 5.0 superset; the version decides what may be
/// written to and read from the wire. MQTT 3.1 is 3.1.1 with protocol name
/// `MQIsdp`, level 3 and client identifiers of at most 23 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[doc(alias = "MQTTProtocolVersion")]
pub enum ProtocolVersion {
    /// MQTT 3.1 (protocol name `MQIsdp`, level 3).
    #[doc(alias = "MQTTv31")]
    V3_1,
    /// MQTT 3.1.1 (protocol name `MQTT`, level 4).
    #[doc(alias = "MQTTv311")]
    V3_1_1,
    /// MQTT 5.0 (protocol name `MQTT`, level 5).
    #[doc(alias = "MQTTv5")]
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte of CONNECT.
    pub const fn level(self) -> u8 {
        match self {
            Self::V3_1 => 3,
            Self::V3_1_1 => 4,
            Self::V5 => 5,
        }
    }

    /// The protocol name of CONNECT.
    pub const fn protocol_name(self) -> &'static str {
        match self {
            Self::V3_1 => "MQIsdp",
            Self::V3_1_1 | Self::V5 => "MQTT",
        }
    }

    /// The version for a protocol name and level, if they form a known pair.
    pub fn from_name_and_level(name: &[u8], level: u8) -> Option<Self> {
        match (name, level) {
            (b"MQIsdp", 3) => Some(Self::V3_1),
            (b"MQTT", 4) => Some(Self::V3_1_1),
            (b"MQTT", 5) => Some(Self::V5),
            _ => None,
        }
    }

    /// Whether packets of this version carry properties and reason codes.
    pub const fn is_v5(self) -> bool {
        matches!(self, Self::V5)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V3_1 => "3.1",
            Self::V3_1_1 => "3.1.1",
            Self::V5 => "5.0",
        })
    }
}
