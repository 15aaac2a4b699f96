//! Local time for `sub -F`: `%I` (ISO 8601), `%U` (Unix time with
//! nanoseconds), `@X` (any `strftime` conversion), and the `tst` field of
//! `%j`.
//!
//! mosquitto_sub formats these with the C library's `localtime` and
//! `strftime`, so `TZ` and the locale apply; std has neither, so on Unix
//! this module calls the same two functions of the C library std already
//! links. Elsewhere the `strftime` conversions print nothing (as
//! mosquitto_sub's `%U` prints nothing on Windows) and `%U` still works.

use std::time::{SystemTime, UNIX_EPOCH};

/// One reading of the clock, formatted as often as a line needs.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    /// Seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            secs: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
        }
    }

    /// `strftime(format)` of the local time; empty if the C library
    /// returns nothing (or there is none to call).
    pub fn strftime(&self, format: &str) -> Vec<u8> {
        sys::format_local(self.secs, format)
    }

    /// `%I`: `2024-05-06T21:48:00+0100`.
    pub fn iso8601(&self) -> Vec<u8> {
        self.strftime("%Y-%m-%dT%H:%M:%S%z")
    }

    /// `%U`: `1715028480.123456789`.
    pub fn unix(&self) -> String {
        format!("{}.{:09}", self.secs, self.nanos)
    }

    /// The `tst` of `%j`: local time with microseconds, then `Z` and the
    /// offset, as mosquitto_sub writes it (`2024-05-06T21:48:00.123456Z+0100`).
    pub fn json_timestamp(&self) -> Vec<u8> {
        let mut out = self.strftime("%Y-%m-%dT%H:%M:%S");
        out.extend_from_slice(format!(".{:06}Z", self.nanos / 1000).as_bytes());
        out.extend_from_slice(&self.strftime("%z"));
        out
    }
}

#[cfg(all(unix, target_pointer_width = "64"))]
mod sys {
    use std::ffi::{c_char, c_int, c_long, CString};

    /// glibc's, musl's and the BSDs' `struct tm` (with `tm_gmtoff` and
    /// `tm_zone`).
    #[repr(C)]
    struct Tm {
        tm_sec: c_int,
        tm_min: c_int,
        tm_hour: c_int,
        tm_mday: c_int,
        tm_mon: c_int,
        tm_year: c_int,
        tm_wday: c_int,
        tm_yday: c_int,
        tm_isdst: c_int,
        tm_gmtoff: c_long,
        tm_zone: *const c_char,
    }

    extern "C" {
        fn tzset();
        fn localtime_r(time: *const i64, result: *mut Tm) -> *mut Tm;
        fn strftime(s: *mut c_char, max: usize, format: *const c_char, tm: *const Tm) -> usize;
    }

    pub fn format_local(secs: i64, format: &str) -> Vec<u8> {
        let Ok(format) = CString::new(format) else {
            return Vec::new();
        };
        let mut tm = Tm {
            tm_sec: 0,
            tm_min: 0,
            tm_hour: 0,
            tm_mday: 0,
            tm_mon: 0,
            tm_year: 0,
            tm_wday: 0,
            tm_yday: 0,
            tm_isdst: 0,
            tm_gmtoff: 0,
            tm_zone: std::ptr::null(),
        };
        let mut buf = [0u8; 256];
        // SAFETY: `tzset` reads the environment (no other thread of these
        // programs changes it); `localtime_r` writes only the `tm` it is
        // given, laid out as the C library's on this target; `strftime`
        // writes at most `buf.len()` bytes into `buf` and reads the
        // NUL-terminated `format` and the filled `tm`.
        let n = unsafe {
            tzset();
            if localtime_r(&secs, &mut tm).is_null() {
                return Vec::new();
            }
            strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm)
        };
        buf[..n].to_vec()
    }
}

#[cfg(not(all(unix, target_pointer_width = "64")))]
mod sys {
    pub fn format_local(_secs: i64, _format: &str) -> Vec<u8> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = Timestamp {
            secs: 1_700_000_000,
            nanos: 123_456_789,
        };
        assert_eq!(t.unix(), "1700000000.123456789");
        if cfg!(all(unix, target_pointer_width = "64")) {
            // Whatever the local zone, the shape is fixed.
            let iso = String::from_utf8(t.iso8601()).unwrap();
            assert_eq!(iso.len(), "2023-11-14T22:13:20+0000".len(), "{iso}");
            let tst = String::from_utf8(t.json_timestamp()).unwrap();
            assert!(tst.contains(".123456Z"), "{tst}");
            assert_eq!(t.strftime("%Y").len(), 4);
        }
    }
}
