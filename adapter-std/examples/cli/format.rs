//! What `sub` prints for a message, as mosquitto_sub prints it.
//!
//! Without `-F`: the payload and a newline (nothing at all for an empty
//! payload); with `-v`, `topic payload`, or `topic (null)` for an empty
//! one. `-N` leaves the newline out.
//!
//! `-F format` (checked by [`check_format`] when the flag is read) prints
//! the format for each message, then a newline unless `-N`:
//!
//! | in the format | prints |
//! | --- | --- |
//! | `%t` `%p` `%l` | topic, payload, payload length |
//! | `%q` `%r` `%m` | QoS, retain flag (0/1), message id (the packet identifier; 0 at QoS 0) |
//! | `%x` `%X` | payload in lower / upper case hex |
//! | `%P` | the 5.0 user properties, `name:value` separated by spaces |
//! | `%A` `%C` `%D` `%E` `%F` `%R` `%S` | topic alias, content type, correlation data, message expiry interval, payload format indicator, response topic, (first) subscription identifier |
//! | `%I` `%U` | local time in ISO 8601, Unix time with nanoseconds |
//! | `%j` `%J` | the message as JSON, the payload escaped (`%j`) or parsed as JSON (`%J`); `--pretty` formats it |
//! | `%%` | `%` |
//! | `@X` | `strftime`'s `%X` of the local time (`@H:@M`), `@N` nanoseconds, `@@` `@` |
//! | `\n` `\t` `\r` `\v` `\a` `\e` `\0` `\\` | the control character, `\` |
//!
//! Between `%` and the letter, `-` (left-align), `0` (pad with zeros), a
//! field width and `.precision` apply as in mosquitto_sub: to numbers,
//! strings and the payload (a width also cuts the payload to that many
//! bytes, as mosquitto does).
//!
//! Everything follows mosquitto_sub 2.0 but one thing: `%j` lists a
//! message's properties in a fixed order (user properties, content type,
//! correlation data, response topic, payload format indicator, message
//! expiry interval, topic alias, subscription identifier), where
//! mosquitto_sub keeps the order they had on the wire, which this client's
//! decoder does not keep. Each program reads the clock once per message
//! (mosquitto once per time conversion).

use super::clock::Timestamp;
use super::json::{self, Value};
use mqtt_proto::{PayloadFormat, PublishProperties};

/// How messages are printed: `-F`, `-v`, `-N`, `--pretty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `-F`, checked.
    pub format: Option<String>,
    /// `-v`.
    pub verbose: bool,
    /// Not `-N`.
    pub eol: bool,
    /// `--pretty`.
    pub pretty: bool,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            format: None,
            verbose: false,
            eol: true,
            pretty: false,
        }
    }
}

/// A received message, as the formatter needs it.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// Its topic.
    pub topic: &'a str,
    /// Its payload.
    pub payload: &'a [u8],
    /// Its QoS (0 to 2).
    pub qos: u8,
    /// Its retain flag.
    pub retain: bool,
    /// Its packet identifier, 0 at QoS 0 (mosquitto's `mid` of a message).
    pub mid: u16,
    /// Its 5.0 properties, `None` if it has none (or in 3.x).
    pub properties: Option<&'a PublishProperties>,
}

/// What [`Output::render`] found wrong with a message, for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl Output {
    /// The bytes to print for `m` at time `now`, and warnings (a `%J`
    /// payload that is not JSON) for stderr.
    pub fn render(&self, m: &Received<'_>, now: &Timestamp) -> (Vec<u8>, Vec<Warning>) {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        if let Some(format) = &self.format {
            self.formatted(format.as_bytes(), m, now, &mut out, &mut warnings);
        } else if self.verbose {
            if !m.payload.is_empty() {
                out.extend_from_slice(m.topic.as_bytes());
                out.push(b' ');
                out.extend_from_slice(m.payload);
                if self.eol {
                    out.push(b'\n');
                }
            } else if self.eol {
                out.extend_from_slice(m.topic.as_bytes());
                out.extend_from_slice(b" (null)\n");
            }
        } else if !m.payload.is_empty() {
            out.extend_from_slice(m.payload);
            if self.eol {
                out.push(b'\n');
            }
        }
        (out, warnings)
    }

    /// mosquitto's `formatted_print`.
    fn formatted(
        &self,
        f: &[u8],
        m: &Received<'_>,
        now: &Timestamp,
        out: &mut Vec<u8>,
        warnings: &mut Vec<Warning>,
    ) {
        let len = f.len();
        let mut i = 0;
        while i < len {
            match f[i] {
                b'%' if i + 1 < len => {
                    i += 1;
                    let mut spec = Spec {
                        align_left: false,
                        pad: b' ',
                        width: 0,
                        precision: None,
                    };
                    if f[i] == b'-' {
                        spec.align_left = true;
                        if i < len - 1 {
                            i += 1;
                        }
                    }
                    if f[i] == b'0' {
                        spec.pad = b'0';
                        if i < len - 1 {
                            i += 1;
                        }
                    }
                    while i < len - 1 && f[i].is_ascii_digit() {
                        spec.width = spec.width * 10 + usize::from(f[i] - b'0');
                        i += 1;
                    }
                    if f[i] == b'.' && i < len - 1 {
                        i += 1;
                        let mut p = 0;
                        while i < len - 1 && f[i].is_ascii_digit() {
                            p = p * 10 + usize::from(f[i] - b'0');
                            i += 1;
                        }
                        spec.precision = Some(p);
                    }
                    self.conversion(f[i], spec, m, now, out, warnings);
                }
                b'@' if i + 1 < len => {
                    i += 1;
                    match f[i] {
                        b'@' => out.push(b'@'),
                        b'N' => out.extend_from_slice(format!("{:09}", now.nanos).as_bytes()),
                        c => out.extend_from_slice(&now.strftime(&format!("%{}", c as char))),
                    }
                }
                b'\\' if i + 1 < len => {
                    i += 1;
                    if let Some(c) = escape(f[i]) {
                        out.push(c);
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        if self.eol {
            out.push(b'\n');
        }
    }

    /// One `%` conversion (mosquitto's `formatted_print_percent`).
    fn conversion(
        &self,
        c: u8,
        spec: Spec,
        m: &Received<'_>,
        now: &Timestamp,
        out: &mut Vec<u8>,
        warnings: &mut Vec<Warning>,
    ) {
        let props = m.properties;
        match c {
            b'%' => out.push(b'%'),
            b'A' => spec.int_or_blank(
                props.and_then(|p| p.topic_alias).map(|a| a.get().into()),
                out,
            ),
            b'C' => match props.and_then(|p| p.content_type.as_ref()) {
                Some(s) => spec.str(s.as_bytes(), out),
                None => spec.blank(b' ', out),
            },
            b'D' => {
                if let Some(d) = props.and_then(|p| p.correlation_data.as_ref()) {
                    out.extend_from_slice(d);
                }
            }
            b'E' => spec.int_or_blank(
                props
                    .and_then(|p| p.message_expiry_interval)
                    .map(|e| i64::from(e as i32)),
                out,
            ),
            b'F' => spec.int_or_blank(
                props.and_then(|p| p.payload_format_indicator).map(|f| {
                    if f == PayloadFormat::Utf8 {
                        1
                    } else {
                        0
                    }
                }),
                out,
            ),
            b'I' => {
                let iso = now.iso8601();
                if iso.is_empty() {
                    spec.blank(b' ', out);
                } else {
                    spec.str(&iso, out);
                }
            }
            b'j' => self.json(m, now, true, out, warnings),
            b'J' => self.json(m, now, false, out, warnings),
            b'l' => spec.int(m.payload.len() as i64, out),
            b'm' => spec.int(m.mid.into(), out),
            b'P' => {
                if let Some(p) = props {
                    for (n, (k, v)) in p.user_properties.iter().enumerate() {
                        if n > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(k.as_bytes());
                        out.push(b':');
                        out.extend_from_slice(v.as_bytes());
                    }
                }
            }
            b'p' => spec.payload(m.payload, Hex::No, out),
            b'q' => out.push(b'0' + m.qos),
            b'R' => {
                if let Some(t) = props.and_then(|p| p.response_topic.as_ref()) {
                    spec.str(t.as_str().as_bytes(), out);
                }
            }
            b'r' => out.push(if m.retain { b'1' } else { b'0' }),
            b'S' => spec.int_or_blank(
                props
                    .and_then(|p| p.subscription_identifiers.first())
                    .map(|s| i64::from(s.get() as i32)),
                out,
            ),
            b't' => spec.str(m.topic.as_bytes(), out),
            b'U' => out.extend_from_slice(now.unix().as_bytes()),
            b'x' => spec.payload(m.payload, Hex::Lower, out),
            b'X' => spec.payload(m.payload, Hex::Upper, out),
            _ => {}
        }
    }

    /// `%j` (`escaped`) and `%J`: the message as one JSON object.
    fn json(
        &self,
        m: &Received<'_>,
        now: &Timestamp,
        escaped: bool,
        out: &mut Vec<u8>,
        warnings: &mut Vec<Warning>,
    ) {
        let payload = if m.payload.is_empty() {
            Value::Null
        } else if escaped {
            // cJSON takes the payload as a C string: up to its first NUL.
            let end = m
                .payload
                .iter()
                .position(|b| *b == 0)
                .unwrap_or(m.payload.len());
            Value::String(m.payload[..end].to_vec())
        } else {
            match json::parse(m.payload) {
                Some(v) => v,
                None => {
                    warnings.push(Warning(format!(
                        "Error: Message payload is not valid JSON on topic {}.\n",
                        m.topic
                    )));
                    return;
                }
            }
        };
        let text = |b: &[u8]| Value::String(b.to_vec());
        let number = |n: f64| Value::Number(n);
        let mut members = vec![
            (b"tst".to_vec(), text(&now.json_timestamp())),
            (b"topic".to_vec(), text(m.topic.as_bytes())),
            (b"qos".to_vec(), number(m.qos.into())),
            (b"retain".to_vec(), number(u8::from(m.retain).into())),
            (b"payloadlen".to_vec(), number(m.payload.len() as f64)),
        ];
        if m.qos > 0 {
            members.push((b"mid".to_vec(), number(m.mid.into())));
        }
        if let Some(p) = m.properties {
            members.push((b"properties".to_vec(), json_properties(p)));
        }
        members.push((b"payload".to_vec(), payload));
        json::write(&Value::Object(members), self.pretty, out);
    }
}

/// `%j`'s `properties` object, in a fixed order (see the module docs).
fn json_properties(p: &PublishProperties) -> Value {
    let text = |b: &[u8]| Value::String(b.to_vec());
    let mut members = Vec::new();
    if !p.user_properties.is_empty() {
        let users = p
            .user_properties
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), text(v.as_bytes())))
            .collect();
        members.push((b"user-properties".to_vec(), Value::Object(users)));
    }
    if let Some(c) = &p.content_type {
        members.push((b"content-type".to_vec(), text(c.as_bytes())));
    }
    if let Some(d) = &p.correlation_data {
        // cJSON makes a C string of it: up to the first NUL.
        let end = d.iter().position(|b| *b == 0).unwrap_or(d.len());
        members.push((b"correlation-data".to_vec(), text(&d[..end])));
    }
    if let Some(t) = &p.response_topic {
        members.push((b"response-topic".to_vec(), text(t.as_str().as_bytes())));
    }
    if let Some(f) = p.payload_format_indicator {
        let v = if f == PayloadFormat::Utf8 { 1.0 } else { 0.0 };
        members.push((b"payload-format-indicator".to_vec(), Value::Number(v)));
    }
    if let Some(e) = p.message_expiry_interval {
        members.push((b"message-expiry-interval".to_vec(), Value::Number(e.into())));
    }
    if let Some(a) = p.topic_alias {
        members.push((b"topic-alias".to_vec(), Value::Number(a.get().into())));
    }
    if let Some(s) = p.subscription_identifiers.first() {
        members.push((
            b"subscription-identifier".to_vec(),
            Value::Number(s.get().into()),
        ));
    }
    Value::Object(members)
}

/// The control character of `\c` in a format.
fn escape(c: u8) -> Option<u8> {
    Some(match c {
        b'\\' => b'\\',
        b'0' => 0,
        b'a' => 0x07,
        b'e' => 0x1b,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        _ => return None,
    })
}

/// Checks a `-F` format when the flag is read, with mosquitto's messages
/// (`Error: Invalid format specifier 'Z'.`).
pub fn check_format(format: &str) -> Result<(), String> {
    const INCOMPLETE: &str = "Error: Incomplete format specifier.\n";
    let f = format.as_bytes();
    let len = f.len();
    let mut i = 0;
    while i < len {
        match f[i] {
            b'%' => {
                if i == len - 1 {
                    return Err(INCOMPLETE.into());
                }
                if f[i + 1] == b'0' || f[i + 1] == b'-' {
                    i += 1;
                    if i == len - 1 {
                        return Err(INCOMPLETE.into());
                    }
                }
                while f[i + 1].is_ascii_digit() {
                    i += 1;
                    if i == len - 1 {
                        return Err(INCOMPLETE.into());
                    }
                }
                if f[i + 1] == b'.' {
                    i += 1;
                    if i == len - 1 {
                        return Err(INCOMPLETE.into());
                    }
                    while f[i + 1].is_ascii_digit() {
                        i += 1;
                        if i == len - 1 {
                            return Err(INCOMPLETE.into());
                        }
                    }
                }
                let c = f[i + 1];
                if !b"%ACDEFIlmPpqRSrtjJUxX".contains(&c) {
                    return Err(format!(
                        "Error: Invalid format specifier '{}'.\n",
                        c as char
                    ));
                }
                i += 1;
            }
            b'@' => {
                if i == len - 1 {
                    return Err(INCOMPLETE.into());
                }
                i += 1;
            }
            b'\\' => {
                if i == len - 1 {
                    return Err("Error: Incomplete escape specifier.\n".into());
                }
                if escape(f[i + 1]).is_none() {
                    return Err(format!(
                        "Error: Invalid escape specifier '{}'.\n",
                        f[i + 1] as char
                    ));
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// A conversion's flags: `-`, `0`, width, `.precision`.
#[derive(Debug, Clone, Copy)]
struct Spec {
    align_left: bool,
    pad: u8,
    width: usize,
    precision: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hex {
    No,
    Lower,
    Upper,
}

impl Spec {
    /// `width` pad characters, for a property that is absent.
    fn blank(&self, pad: u8, out: &mut Vec<u8>) {
        repeat_byte(out, pad, self.width);
    }

    /// `printf("%d")` with the flags.
    fn int(&self, value: i64, out: &mut Vec<u8>) {
        let digits = value.unsigned_abs().to_string();
        let sign = if value < 0 { "-" } else { "" };
        let len = sign.len() + digits.len();
        let fill = self.width.saturating_sub(len);
        if self.width == 0 || self.align_left {
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(digits.as_bytes());
            repeat_byte(out, b' ', if self.width == 0 { 0 } else { fill });
        } else if self.pad == b'0' {
            out.extend_from_slice(sign.as_bytes());
            repeat_byte(out, b'0', fill);
            out.extend_from_slice(digits.as_bytes());
        } else {
            repeat_byte(out, b' ', fill);
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(digits.as_bytes());
        }
    }

    fn int_or_blank(&self, value: Option<i64>, out: &mut Vec<u8>) {
        match value {
            Some(v) => self.int(v, out),
            None => self.blank(self.pad, out),
        }
    }

    /// `printf("%s")` with width and precision (which cuts bytes, as C does).
    fn str(&self, value: &[u8], out: &mut Vec<u8>) {
        let value = match self.precision {
            Some(p) => &value[..p.min(value.len())],
            None => value,
        };
        let fill = self.width.saturating_sub(value.len());
        if !self.align_left {
            repeat_byte(out, b' ', fill);
        }
        out.extend_from_slice(value);
        if self.align_left {
            repeat_byte(out, b' ', fill);
        }
    }

    /// mosquitto's `write_payload`: a width cuts the payload to that many
    /// bytes (half as many in hex) and pads it; precision is ignored.
    fn payload(&self, payload: &[u8], hex: Hex, out: &mut Vec<u8>) {
        let width = self.width as i64;
        let mut len = payload.len() as i64;
        let padlen;
        if width > 0 {
            len = len.min(width);
            if hex == Hex::No {
                padlen = width - len;
            } else {
                len /= 2;
                padlen = width - len * 2;
            }
        } else {
            padlen = -len;
        }
        if !self.align_left {
            repeat_byte(out, self.pad, padlen.max(0) as usize);
        }
        let shown = &payload[..len as usize];
        match hex {
            Hex::No => out.extend_from_slice(shown),
            Hex::Lower => shown
                .iter()
                .for_each(|b| out.extend_from_slice(format!("{b:02x}").as_bytes())),
            Hex::Upper => shown
                .iter()
                .for_each(|b| out.extend_from_slice(format!("{b:02X}").as_bytes())),
        }
        if self.align_left {
            // printf("%*s", padlen, ""): a negative width pads too.
            repeat_byte(out, b' ', padlen.unsigned_abs() as usize);
        }
    }
}

/// Appends `n` copies of `byte`.
fn repeat_byte(out: &mut Vec<u8>, byte: u8, n: usize) {
    out.resize(out.len() + n, byte);
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{MqttString, SubscriptionId, TopicName};

    fn now() -> Timestamp {
        Timestamp {
            secs: 1_700_000_000,
            nanos: 5,
        }
    }

    fn render(format: &str, m: &Received<'_>) -> String {
        check_format(format).unwrap();
        let output = Output {
            format: Some(format.to_string()),
            ..Output::default()
        };
        String::from_utf8(output.render(m, &now()).0).unwrap()
    }

    fn message<'a>(payload: &'a [u8], props: Option<&'a PublishProperties>) -> Received<'a> {
        Received {
            topic: "r/1",
            payload,
            qos: 1,
            retain: true,
            mid: 1,
            properties: props,
        }
    }

    #[test]
    fn plain_and_verbose() {
        let out = |verbose, eol, payload: &[u8]| {
            let o = Output {
                verbose,
                eol,
                ..Output::default()
            };
            String::from_utf8(o.render(&message(payload, None), &now()).0).unwrap()
        };
        assert_eq!(out(false, true, b"hi"), "hi\n");
        assert_eq!(out(false, true, b""), "");
        assert_eq!(out(true, true, b"hi"), "r/1 hi\n");
        assert_eq!(out(true, true, b""), "r/1 (null)\n");
        assert_eq!(out(true, false, b""), "");
        assert_eq!(out(false, false, b"hi"), "hi");
    }

    #[test]
    fn conversions_as_mosquitto_sub_prints_them() {
        // mosquitto_sub 2.0.11's output for a retained QoS 1 "retained1".
        let m = message(b"retained1", None);
        assert_eq!(
            render("@@ %%|%-10t|%10t|%5.2t|%x|%X|%5l|%05l|%-5l|%m|%q%r|%A|%C|%E|%S|%P|%R|%D|%F", &m),
            "@ %|r/1       |       r/1|   r/|72657461696e656431|72657461696E656431|    9|00009|9    |1|11||||||||\n"
        );
        assert_eq!(
            render("%5p|%-12p|%3x|%-p|", &m),
            "retai|retained1   | 72|retained1         |\n"
        );
        assert_eq!(
            render("%U @N\\t\\\\", &m),
            "1700000000.000000005 000000005\t\\\n"
        );
    }

    #[test]
    fn properties() {
        let text = |s: &str| MqttString::new(s).unwrap();
        let p = PublishProperties {
            user_properties: vec![(text("a"), text("1")), (text("b"), text("2"))],
            content_type: Some(text("text/plain")),
            response_topic: Some(TopicName::new("re/ply").unwrap()),
            correlation_data: Some(bytes::Bytes::from_static(b"id-1")),
            message_expiry_interval: Some(30),
            subscription_identifiers: vec![SubscriptionId::new(7).unwrap()],
            payload_format_indicator: Some(PayloadFormat::Utf8),
            ..PublishProperties::default()
        };
        let m = message(b"x", Some(&p));
        assert_eq!(
            render("%P|%C|%R|%D|%E|%S|%F|%4E", &m),
            "a:1 b:2|text/plain|re/ply|id-1|30|7|1|  30\n"
        );
        let json = render("%j", &m);
        let tail = json.split_once("Z").unwrap().1;
        assert!(tail.ends_with(
            "\",\"topic\":\"r/1\",\"qos\":1,\"retain\":1,\"payloadlen\":1,\"mid\":1,\"properties\":{\"user-properties\":{\"a\":\"1\",\"b\":\"2\"},\"content-type\":\"text/plain\",\"correlation-data\":\"id-1\",\"response-topic\":\"re/ply\",\"payload-format-indicator\":1,\"message-expiry-interval\":30,\"subscription-identifier\":7},\"payload\":\"x\"}\n"
        ), "{json}");
    }

    #[test]
    fn json_payloads() {
        let m = Received {
            qos: 0,
            retain: false,
            ..message(b"{\"a\": [1, 2.50]}", None)
        };
        let j = render("%J", &m);
        assert!(
            j.ends_with("\"payloadlen\":16,\"payload\":{\"a\":[1,2.5]}}\n"),
            "{j}"
        );
        assert!(!j.contains("\"mid\""), "{j}");
        let bad = Output {
            format: Some("%J".into()),
            ..Output::default()
        };
        let (out, warnings) = bad.render(&message(b"nope", None), &now());
        assert_eq!(out, b"\n");
        assert_eq!(
            warnings,
            [Warning(
                "Error: Message payload is not valid JSON on topic r/1.\n".into()
            )]
        );
        assert!(render("%j", &message(b"", None)).contains("\"payload\":null}"));
    }

    #[test]
    fn format_checks() {
        for (format, error) in [
            ("%", "Error: Incomplete format specifier.\n"),
            ("%0", "Error: Incomplete format specifier.\n"),
            ("%-", "Error: Incomplete format specifier.\n"),
            ("%1", "Error: Incomplete format specifier.\n"),
            ("%.", "Error: Incomplete format specifier.\n"),
            ("%.1", "Error: Incomplete format specifier.\n"),
            ("%Z", "Error: Invalid format specifier 'Z'.\n"),
            ("@", "Error: Incomplete format specifier.\n"),
            ("\\", "Error: Incomplete escape specifier.\n"),
            ("\\Z", "Error: Invalid escape specifier 'Z'.\n"),
        ] {
            assert_eq!(check_format(format).unwrap_err(), error, "{format:?}");
        }
        for ok in ["%t", "%-08.3t", "@H:@M", "\\n", "plain", "%%"] {
            assert!(check_format(ok).is_ok(), "{ok:?}");
        }
    }
}
