use crate::string::StringError;

/// Why a string is not a valid topic name or topic filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// Not a valid MQTT string (length, UTF-8, U+0000).
    #[error(transparent)]
    String(#[from] StringError),
    /// Topic names and filters are at least one character long [MQTT-4.7.3-1].
    #[error("topic is empty [MQTT-4.7.3-1]")]
    Empty,
    /// A topic name contains `+` or `#` [MQTT-3.3.2-2].
    #[error("topic name contains a wildcard character [MQTT-3.3.2-2]")]
    WildcardInName,
    /// A `+` shares its level with other characters [MQTT-4.7.1-3].
    #[error("'+' must occupy a whole topic level [MQTT-4.7.1-3]")]
    InvalidSingleLevelWildcard,
    /// A `#` shares its level with other characters or is not last [MQTT-4.7.1-2].
    #[error("'#' must occupy a whole topic level and be the last one [MQTT-4.7.1-2]")]
    InvalidMultiLevelWildcard,
    /// A `$share/` filter whose share name is empty or holds `/`, `+` or `#` [MQTT-4.8.2-1, MQTT-4.8.2-2].
    #[error(
        "shared subscription needs a non-empty share name without '/', '+' or '#' [MQTT-4.8.2-1]"
    )]
    InvalidShareName,
    /// A `$share/{ShareName}/` filter without the topic filter part [MQTT-4.8.2-2].
    #[error("shared subscription has no topic filter after the share name [MQTT-4.8.2-2]")]
    EmptySharedFilter,
}
