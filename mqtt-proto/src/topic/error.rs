use crate::string::StringError;

/// Why a string is not a valid topic name or topic filter.
///
/// Rule numbers differ between the specifications where noted; both are
/// given so a failing check can be traced in either document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// Not a valid MQTT string: longer than 65,535 bytes [MQTT-4.7.3-3],
    /// ill-formed UTF-8 [MQTT-1.5.4-1] or containing U+0000 [MQTT-4.7.3-2].
    #[error(transparent)]
    String(#[from] StringError),
    /// Topic names and filters are at least one character long [MQTT-4.7.3-1].
    #[error("topic is empty [MQTT-4.7.3-1]")]
    Empty,
    /// A topic name contains `+` or `#` [MQTT-3.3.2-2; MQTT-4.7.1-1 (3.1.1), MQTT-4.7.0-1 (5.0)].
    #[error("topic name contains a wildcard character '+' or '#' [MQTT-3.3.2-2]")]
    WildcardInName,
    /// A `+` shares its level with other characters
    /// [MQTT-4.7.1-3 (3.1.1), MQTT-4.7.1-2 (5.0)].
    #[error("'+' must occupy a whole topic level, as in \"a/+/b\" [MQTT-4.7.1-3 (3.1.1), MQTT-4.7.1-2 (5.0)]")]
    InvalidSingleLevelWildcard,
    /// A `#` shares its level with other characters or is not the last level
    /// [MQTT-4.7.1-2 (3.1.1), MQTT-4.7.1-1 (5.0)].
    #[error("'#' must occupy a whole topic level and be the last one, as in \"a/#\" [MQTT-4.7.1-2 (3.1.1), MQTT-4.7.1-1 (5.0)]")]
    InvalidMultiLevelWildcard,
    /// A `$share/` filter whose share name is empty or holds `+` or `#`
    /// [MQTT-4.8.2-1, MQTT-4.8.2-2].
    #[error("shared subscription needs a non-empty share name without '/', '+' or '#', as in \"$share/name/filter\" [MQTT-4.8.2-1, MQTT-4.8.2-2]")]
    InvalidShareName,
    /// A `$share/{ShareName}` filter without a topic filter after the share
    /// name and its `/` [MQTT-4.8.2-2].
    #[error(
        "shared subscription has no topic filter after \"$share/{{ShareName}}/\" [MQTT-4.8.2-2]"
    )]
    EmptySharedFilter,
}
