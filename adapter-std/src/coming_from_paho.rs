// The guide for Paho users (docs/coming-from-paho.md), whose Rust blocks
// are this crate's doctests. The aliases are Paho names without a method
// of their own here: searching the docs for them finds the guide, which
// says what to use instead.
#![doc(alias = "CallbackAPIVersion")]
#![doc(alias = "MQTT_ERR_SUCCESS")]
#![doc(alias = "suppress_exceptions")]
#![doc(alias = "connect_srv")]
#![doc(alias = "enable_bridge_mode")]
#![doc(alias = "drop_out_messages")]
#![doc(alias = "will_clear")]
#![doc(alias = "keyfile_password")]
#![doc(alias = "disable_logger")]
#![doc(alias = "reconnect_on_failure")]
#![doc(alias = "MQTT_LOG_DEBUG")]
#![doc(alias = "LogLevel")]
#![doc(alias = "MessageState")]
#![doc(alias = "Paho")]
#![doc = include_str!("../../docs/coming-from-paho.md")]

#[cfg(test)]
mod tests {
    /// The first Rust block after a `## Quick start` heading.
    fn quick_start(markdown: &str) -> String {
        let section = markdown
            .split("\n## Quick start")
            .nth(1)
            .expect("a `## Quick start` section");
        let fence = section.find("```rust").expect("a Rust block");
        let body = &section[fence..];
        let body = &body[body.find('\n').expect("a fence line") + 1..];
        body[..body.find("\n```").expect("a closing fence")].to_string()
    }

    /// The README shows the quick start the guide compiles as a doctest:
    /// the two stay the same program.
    #[test]
    fn the_readme_quick_start_is_the_tested_one() {
        let readme = quick_start(include_str!("../../README.md"));
        let guide = quick_start(include_str!("../../docs/coming-from-paho.md"));
        assert_eq!(
            readme, guide,
            "README.md and docs/coming-from-paho.md differ"
        );
    }
}
