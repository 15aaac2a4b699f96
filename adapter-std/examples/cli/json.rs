//! JSON as mosquitto_sub writes it for `-F %j` and `-F %J`: through cJSON
//! (Debian's 1.7.15), whose output has its own shape. Compact, it has no
//! spaces; with `--pretty` (cJSON's formatted print) a member is
//! `<tabs>"key":<tab>value` on its own line, array items are separated by
//! `", "` on one line, and an empty object is `{`, newline, `}`. Numbers
//! are C's `%1.15g` (or `%1.17g` when 15 digits do not round-trip):
//! `2.50` prints `2.5`, `1e20` prints `1e+20`. Strings escape `"`, `\`,
//! `\b \f \n \r \t` and other control bytes as `\u00XX`, and leave every
//! other byte as it is.
//!
//! [`parse`] reads a payload for `%J` the way cJSON does (leading zeros
//! and `\u` escapes accepted, the whole payload must be one value).

/// A JSON value. Strings are bytes: cJSON passes non-UTF-8 through.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(Vec<u8>),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in order (duplicate keys kept, as cJSON does).
    Object(Vec<(Vec<u8>, Value)>),
}

/// Writes `value` as cJSON prints it: compact, or formatted (`--pretty`).
pub fn write(value: &Value, pretty: bool, out: &mut Vec<u8>) {
    Printer { pretty, depth: 0 }.value(value, out);
}

struct Printer {
    pretty: bool,
    depth: usize,
}

impl Printer {
    fn value(&mut self, value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(n) => out.extend_from_slice(number(*n).as_bytes()),
            Value::String(s) => string(s, out),
            Value::Array(items) => {
                out.push(b'[');
                self.depth += 1;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(if self.pretty { b", " } else { b"," });
                    }
                    self.value(item, out);
                }
                self.depth -= 1;
                out.push(b']');
            }
            Value::Object(members) => {
                out.push(b'{');
                self.depth += 1;
                if self.pretty {
                    out.push(b'\n');
                }
                for (i, (key, item)) in members.iter().enumerate() {
                    if self.pretty {
                        repeat_byte(out, b'\t', self.depth);
                    }
                    string(key, out);
                    out.push(b':');
                    if self.pretty {
                        out.push(b'\t');
                    }
                    self.value(item, out);
                    if i + 1 < members.len() {
                        out.push(b',');
                    }
                    if self.pretty {
                        out.push(b'\n');
                    }
                }
                if self.pretty {
                    repeat_byte(out, b'\t', self.depth - 1);
                }
                self.depth -= 1;
                out.push(b'}');
            }
        }
    }
}

/// A string with cJSON's escapes.
fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// A number as cJSON 1.7.15 prints it.
pub fn number(n: f64) -> String {
    if !n.is_finite() {
        return "null".into();
    }
    let short = c_g(n, 15);
    if short.parse::<f64>().ok() == Some(n) {
        short
    } else {
        c_g(n, 17)
    }
}

/// C's `printf("%1.<precision>g", n)` for a finite `n`.
pub fn c_g(n: f64, precision: usize) -> String {
    let p = precision.max(1);
    // The exponent as %e would print it, after rounding to p digits.
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    if exp < -4 || exp >= p as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

/// `1.2300` -> `1.23`, `4.000` -> `4`; no decimal point, no change.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// cJSON's nesting limit.
const MAX_DEPTH: usize = 1000;

/// Parses a whole payload as cJSON does (`cJSON_ParseWithOpts` requiring
/// the end): one value, optional whitespace around it, nothing else. A NUL
/// byte ends cJSON's input, so a payload containing one is not JSON.
pub fn parse(input: &[u8]) -> Option<Value> {
    if input.contains(&0) {
        return None;
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut p = Parser { s: input, i: 0 };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    (p.i == input.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// cJSON skips every byte up to space.
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b <= b' ') {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'n' => self.literal(b"null", Value::Null),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' if depth < MAX_DEPTH => self.array(depth + 1),
            b'{' if depth < MAX_DEPTH => self.object(depth + 1),
            _ => None,
        }
    }

    /// cJSON hands the run of `0-9 + - e E .` to `strtod`, which reads the
    /// longest number at its start.
    fn number(&mut self) -> Option<Value> {
        let run = self.s[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'e' | b'E' | b'.'))
            .count();
        let text = std::str::from_utf8(&self.s[self.i..self.i + run]).ok()?;
        let (n, used) = (1..=text.len())
            .rev()
            .find_map(|len| text[..len].parse::<f64>().ok().map(|n| (n, len)))?;
        self.i += used;
        Some(Value::Number(n))
    }

    fn string(&mut self) -> Option<Vec<u8>> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.i += 1;
            match b {
                b'"' => return Some(out),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'u' => {
                            let c = self.unicode()?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.i += 4;
        Some(v)
    }

    /// `\uXXXX`, a surrogate pair as two of them.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xDC00..=0xDFFF).contains(&first) {
            return None;
        }
        if (0xD800..=0xDBFF).contains(&first) {
            if self.s.get(self.i..self.i + 2)? != b"\\u" {
                return None;
            }
            self.i += 2;
            let second = self.hex4()?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        }
        char::from_u32(first)
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        self.skip_ws();
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        self.skip_ws();
        let mut members = Vec::new();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.skip_ws();
            let v = self.value(depth)?;
            members.push((key, v));
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(Value::Object(members));
                }
                _ => return None,
            }
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

    fn reprint(s: &str, pretty: bool) -> Option<String> {
        let v = parse(s.as_bytes())?;
        let mut out = Vec::new();
        write(&v, pretty, &mut out);
        Some(String::from_utf8(out).unwrap())
    }

    #[test]
    fn numbers_print_like_c_g() {
        for (n, s) in [
            (1.0, "1"),
            (2.5, "2.5"),
            (1e20, "1e+20"),
            (0.1, "0.1"),
            (123456789012.0, "123456789012"),
            (-0.0, "-0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(number(n), s, "{n}");
        }
    }

    #[test]
    fn reprints_as_cjson_does() {
        // What mosquitto_sub -F %J printed for this payload (Debian 12), one
        // level shallower: there it is the "payload" of the message's object.
        let payload = "{\"a\": [1, 2.50, 1e20, 0.1, 123456789012, -0, \"x\\u00e9\\n\", true, null, {}, [], {\"z\":[]}], \"b\": {\"c\": 1}, \"d\": {}}";
        assert_eq!(
            reprint(payload, false).unwrap(),
            "{\"a\":[1,2.5,1e+20,0.1,123456789012,-0,\"x\u{e9}\\n\",true,null,{},[],{\"z\":[]}],\"b\":{\"c\":1},\"d\":{}}"
        );
        assert_eq!(
            reprint(payload, true).unwrap(),
            "{\n\t\"a\":\t[1, 2.5, 1e+20, 0.1, 123456789012, -0, \"x\u{e9}\\n\", true, null, {\n\t\t}, [], {\n\t\t\t\"z\":\t[]\n\t\t}],\n\t\"b\":\t{\n\t\t\"c\":\t1\n\t},\n\t\"d\":\t{\n\t}\n}"
        );
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        write(
            &Value::String(b"a\x01b\"\\\xc3\xa9\n/".to_vec()),
            false,
            &mut out,
        );
        assert_eq!(out, b"\"a\\u0001b\\\"\\\\\xc3\xa9\\n/\"");
    }

    #[test]
    fn rejects_what_cjson_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "tru",
            "+1",
            ".5",
            "1 2",
            "\"\\x\"",
            "a\0",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
        for good in ["  1  ", "01", "1.", "[1,2]", "\"\\ud83d\\ude00\"", "{}"] {
            assert!(parse(good.as_bytes()).is_some(), "{good:?}");
        }
    }
}
