//! The identifiers of the 5.0 properties, which errors name too: a leaf
//! module, so that they need not import the property sets.

macro_rules! property_ids {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, )*) => {
        /// The identifier of an MQTT 5.0 property.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum PropertyId {
            $( $(#[$doc])* $name = $value, )*
        }

        impl PropertyId {
            /// The property for an identifier byte, `None` if 5.0 defines none.
            #[doc(alias = "getNameFromIdent")]
            pub const fn from_u8(value: u8) -> Option<Self> {
                match value {
                    $( $value => Some(Self::$name), )*
                    _ => None,
                }
            }
        }
    };
}

property_ids! {
    /// 0x01 Payload Format Indicator (PUBLISH, will).
    PayloadFormatIndicator = 0x01,
    /// 0x02 Message Expiry Interval (PUBLISH, will).
    MessageExpiryInterval = 0x02,
    /// 0x03 Content Type (PUBLISH, will).
    ContentType = 0x03,
    /// 0x08 Response Topic (PUBLISH, will).
    ResponseTopic = 0x08,
    /// 0x09 Correlation Data (PUBLISH, will).
    CorrelationData = 0x09,
    /// 0x0B Subscription Identifier (PUBLISH, SUBSCRIBE).
    SubscriptionIdentifier = 0x0B,
    /// 0x11 Session Expiry Interval (CONNECT, CONNACK, DISCONNECT).
    SessionExpiryInterval = 0x11,
    /// 0x12 Assigned Client Identifier (CONNACK).
    AssignedClientIdentifier = 0x12,
    /// 0x13 Server Keep Alive (CONNACK).
    ServerKeepAlive = 0x13,
    /// 0x15 Authentication Method (CONNECT, CONNACK, AUTH).
    AuthenticationMethod = 0x15,
    /// 0x16 Authentication Data (CONNECT, CONNACK, AUTH).
    AuthenticationData = 0x16,
    /// 0x17 Request Problem Information (CONNECT).
    RequestProblemInformation = 0x17,
    /// 0x18 Will Delay Interval (will).
    WillDelayInterval = 0x18,
    /// 0x19 Request Response Information (CONNECT).
    RequestResponseInformation = 0x19,
    /// 0x1A Response Information (CONNACK).
    ResponseInformation = 0x1A,
    /// 0x1C Server Reference (CONNACK, DISCONNECT).
    ServerReference = 0x1C,
    /// 0x1F Reason String (CONNACK, acks, DISCONNECT, AUTH).
    ReasonString = 0x1F,
    /// 0x21 Receive Maximum (CONNECT, CONNACK).
    ReceiveMaximum = 0x21,
    /// 0x22 Topic Alias Maximum (CONNECT, CONNACK).
    TopicAliasMaximum = 0x22,
    /// 0x23 Topic Alias (PUBLISH).
    TopicAlias = 0x23,
    /// 0x24 Maximum QoS (CONNACK).
    MaximumQoS = 0x24,
    /// 0x25 Retain Available (CONNACK).
    RetainAvailable = 0x25,
    /// 0x26 User Property (every packet with properties).
    UserProperty = 0x26,
    /// 0x27 Maximum Packet Size (CONNECT, CONNACK).
    MaximumPacketSize = 0x27,
    /// 0x28 Wildcard Subscription Available (CONNACK).
    WildcardSubscriptionAvailable = 0x28,
    /// 0x29 Subscription Identifier Available (CONNACK).
    SubscriptionIdentifierAvailable = 0x29,
    /// 0x2A Shared Subscription Available (CONNACK).
    SharedSubscriptionAvailable = 0x2A,
}
