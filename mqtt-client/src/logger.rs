//! [`enable_logger`]: a one-call logger for programs that have none, as
//! Paho's `enable_logger()` is for Python programs that never configured
//! `logging`.

use std::io::Write;

/// Writes each record to standard error as Python's `logging` does by
/// default: `DEBUG:mqtt_client::packet:Sending CONNECT (...)`.
#[derive(Debug)]
struct StderrLogger;

static LOGGER: StderrLogger = StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => "ERROR",
            log::Level::Warn => "WARNING",
            log::Level::Info => "INFO",
            log::Level::Debug => "DEBUG",
            log::Level::Trace => "TRACE",
        };
        // One write per line, so that lines of several threads never mix;
        // a closed stderr is not the client's problem.
        let line = format!("{level}:{}:{}\n", record.target(), record.args());
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// Installs a logger that writes every record up to `level` to standard
/// error (`DEBUG:mqtt_client::packet:Sending CONNECT ...`), for a program
/// that has no logger yet (Paho's `enable_logger()`). The packet lines are
/// at debug level: `enable_logger(log::LevelFilter::Debug)` shows them;
/// the connection's lifecycle is at info.
///
/// Returns whether it was installed: `false` if the program already has a
/// logger (env_logger, tracing's bridge ...), which is then left as it is,
/// its level included; enable debug for the target
/// [`crate::packet_log::PACKET_TARGET`] there instead.
///
/// A client notices a logger installed after it started at its next
/// connection; the client method `enable_logger` takes effect at once.
///
/// ```
/// assert!(mqtt_client::enable_logger(log::LevelFilter::Info));
/// assert!(!mqtt_client::enable_logger(log::LevelFilter::Debug)); // already installed
/// ```
pub fn enable_logger(level: log::LevelFilter) -> bool {
    if log::set_logger(&LOGGER).is_err() {
        return false;
    }
    log::set_max_level(level);
    true
}
