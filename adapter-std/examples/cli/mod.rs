//! What the `pub` and `sub` examples share: mosquitto_pub / mosquitto_sub's
//! command line, parsed by hand so the examples need no dependency, their
//! output formats, and the way they report errors and end.
//!
//! The two programs aim to be drop-in replacements for Debian's
//! `mosquitto-clients` 2.0: the same flags with the same meaning, the same
//! messages on stdout and stderr, the same exit statuses.
//! `tests/cli_compat.rs` runs each side by side with the original against
//! one Mosquitto. Where they differ on purpose, [`help`] says so (and the
//! `--help` text lists it under "Differences from mosquitto").
//!
//! - [`config`]: the flags (mosquitto's `client_config_line_proc` and the
//!   checks after it), into one [`config::Config`];
//! - [`props`]: `-D command property value`, MQTT 5.0 properties;
//! - [`format`]: what `sub` prints per message (`-v`, `-N`, `-F`), with
//!   [`json`] for `%j` / `%J` and [`clock`] for the times in `%I`, `%U`,
//!   `@H` ...;
//! - [`connect`]: the client options the flags describe, `-d`'s packet
//!   trace, and how connection failures are reported;
//! - [`help`]: the `--help` texts.
//!
//! Cargo builds `examples/*.rs` and `examples/*/main.rs` only, so this folder
//! is not an example of its own; `pub.rs` and `sub.rs` include it with
//! `#[path]`, and `tests/cli_compat.rs` does too, to run the unit tests of
//! the parser and the formatter.
//!
//! A new flag (say `--session-dir DIR`) is one arm in
//! [`config::Config::take_flag`], a field of [`config::Config`], a line in
//! [`help`], and whatever the program does with it.

// Each program uses its part: `pub` never formats a message, `sub` never
// reads a payload file.
#![allow(dead_code)]

pub mod clock;
pub mod config;
pub mod connect;
pub mod format;
pub mod help;
pub mod json;
pub mod props;

use std::process::ExitCode;

/// Which of the two programs runs: a few flags belong to one of them only,
/// as in mosquitto (`-m` to pub, `-C` to sub ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `pub`, mosquitto_pub.
    Pub,
    /// `sub`, mosquitto_sub.
    Sub,
}

impl Tool {
    /// The program's name, as messages name it ("Use 'sub --help' ...").
    pub fn name(self) -> &'static str {
        match self {
            Self::Pub => "pub",
            Self::Sub => "sub",
        }
    }
}

/// mosquitto's exit status for a usage error, a refused TLS option, a
/// failed first connection: 1.
pub const EXIT_FAILURE: u8 = 1;

/// The exit status `code` as the shell sees it (`exit(-1)` is 255).
pub fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(code as u8)
}

/// Prints runtime errors unless `--quiet` (mosquitto's `err_printf`).
/// Usage errors are printed regardless, as mosquitto prints them.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    /// `--quiet`.
    pub quiet: bool,
}

impl Reporter {
    /// Prints `text` (which ends with its own newline) on stderr.
    pub fn error(&self, text: &str) {
        if !self.quiet {
            eprint!("{text}");
        }
    }
}
