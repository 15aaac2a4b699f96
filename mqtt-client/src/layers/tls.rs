//! TLS with rustls over caller-driven buffers, and its options.

use super::stack::{io_error, StreamLayer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct,
    RootCertStore, SignatureScheme,
};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to secure a connection with TLS (Paho's `tls_set` and
/// `tls_insecure_set`).
///
/// By default the server's certificate is verified against the system's
/// root certificates and the host name the client connects to, over TLS
/// 1.2 or 1.3 with rustls's default cipher suites.
///
/// Paho's `tls_set(ca_certs, certfile, keyfile, tls_version, ciphers)`
/// is [`TlsOptions::ca_file`], [`TlsOptions::client_cert`],
/// [`TlsOptions::min_version`] / [`TlsOptions::max_version`] and
/// [`TlsOptions::ciphers`]; `tls_insecure_set(True)` is
/// [`TlsOptions::insecure_skip_hostname_check`].
///
/// ```no_run
/// use mqtt_client::layers::TlsOptions;
/// use mqtt_client::ClientOptions;
///
/// let options = ClientOptions::new("broker.example", 8883).tls(
///     TlsOptions::new()
///         .ca_file("/etc/mosquitto/ca.crt")
///         .client_cert("client.crt", "client.key")
///         .alpn(["mqtt"]),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct TlsOptions {
    ca_file: Option<PathBuf>,
    client_cert: Option<(PathBuf, PathBuf)>,
    alpn: Vec<Vec<u8>>,
    server_name: Option<String>,
    sni: bool,
    accept_invalid_certs: bool,
    skip_hostname_check: bool,
    min_version: TlsVersion,
    max_version: TlsVersion,
    ciphers: Option<Vec<String>>,
    config: Option<Arc<ClientConfig>>,
}

/// A TLS protocol version this client can speak (rustls has no older ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        })
    }
}

impl std::str::FromStr for TlsVersion {
    type Err = TlsError;

    /// `tlsv1.2` / `tlsv1.3` (mosquitto's `--tls-version`), `1.2`, `TLSv1_3` ...
    fn from_str(s: &str) -> Result<Self, TlsError> {
        let v = s.to_ascii_lowercase().replace('_', ".");
        match v.trim_start_matches("tlsv").trim_start_matches("tls") {
            "1.2" => Ok(Self::Tls12),
            "1.3" => Ok(Self::Tls13),
            _ => Err(TlsError::config(format!(
                "unknown TLS version {s:?} (this client speaks tlsv1.2 and tlsv1.3)"
            ))),
        }
    }
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsOptions {
    /// Verification against the system's roots, no client certificate, SNI on.
    pub fn new() -> Self {
        Self {
            ca_file: None,
            client_cert: None,
            alpn: Vec::new(),
            server_name: None,
            sni: true,
            accept_invalid_certs: false,
            skip_hostname_check: false,
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            ciphers: None,
            config: None,
        }
    }

    /// Trusts the CA certificates of this PEM file instead of the system's
    /// roots (Paho's `ca_certs`).
    #[doc(alias = "ca_certs")]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// A client certificate (chain) and its private key, both PEM files, for
    /// servers that require mutual TLS (Paho's `certfile` and `keyfile`).
    #[doc(alias = "certfile")]
    #[doc(alias = "keyfile")]
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((cert.into(), key.into()));
        self
    }

    /// ALPN protocols to offer, most preferred first (AWS IoT on port 443
    /// wants `x-amzn-mqtt-ca`, for example).
    #[doc(alias = "alpn_protocols")]
    pub fn alpn<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// The name to send as SNI and to verify the certificate against, when
    /// it differs from the host connected to (an IP address, a tunnel).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Whether to send the server name (SNI) in the handshake; on by default.
    pub fn sni(mut self, enable: bool) -> Self {
        self.sni = enable;
        self
    }

    /// Skips only the check that the server's certificate is for the host
    /// name connected to (Paho's `tls_insecure_set(True)`): the
    /// certificate must still chain to a trusted root and be valid now.
    /// Anyone holding *any* certificate of the trusted CAs can then pose as
    /// the broker; prefer [`TlsOptions::server_name`] when the certificate
    /// is for a known other name.
    #[doc(alias = "tls_insecure_set")]
    pub fn insecure_skip_hostname_check(mut self, skip: bool) -> Self {
        self.skip_hostname_check = skip;
        self
    }

    /// **Dangerous**: accepts any server certificate, whoever issued it,
    /// for whatever name, expired or not, far beyond Paho's
    /// `tls_insecure_set(True)` (which is
    /// [`TlsOptions::insecure_skip_hostname_check`]). The connection is
    /// encrypted but anyone on the path can read and change it. For tests
    /// against self-signed brokers only.
    #[doc(alias = "cert_reqs")]
    #[doc(alias = "CERT_NONE")]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// The oldest TLS version to accept (default TLS 1.2), as mosquitto's
    /// `--tls-version`. A server that only speaks older ones fails the
    /// handshake with [`TlsErrorKind::UnsupportedVersion`]. Paho's
    /// `tls_version=ssl.PROTOCOL_TLSv1_2` (exactly 1.2) is
    /// `min_version(Tls12).max_version(Tls12)`.
    #[doc(alias = "tls_version")]
    pub fn min_version(mut self, version: TlsVersion) -> Self {
        self.min_version = version;
        self
    }

    /// The newest TLS version to offer (default TLS 1.3).
    #[doc(alias = "tls_version")]
    pub fn max_version(mut self, version: TlsVersion) -> Self {
        self.max_version = version;
        self
    }

    /// The cipher suites to offer, most preferred first (Paho's `ciphers`):
    /// a colon- or comma-separated list of OpenSSL names
    /// (`ECDHE-RSA-AES128-GCM-SHA256`, `TLS_AES_256_GCM_SHA384`) or rustls /
    /// IANA names (`TLS13_AES_128_GCM_SHA256`,
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`). A name this client does
    /// not implement fails when the client is made, listing those it has;
    /// TLS 1.3 needs at least one TLS 1.3 suite in the list.
    pub fn ciphers(mut self, list: &str) -> Self {
        let names = list
            .split([':', ','])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        self.ciphers = Some(names);
        self
    }

    /// Uses this rustls configuration as it is; the other options except
    /// [`TlsOptions::server_name`] are ignored.
    #[doc(alias = "tls_set_context")]
    pub fn rustls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.config = Some(config);
        self
    }

    /// Whether certificate verification is off.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs && self.config.is_none()
    }

    /// Whether the host name check is off (and nothing else).
    pub fn skips_hostname_check(&self) -> bool {
        self.skip_hostname_check && self.config.is_none()
    }

    /// The name to verify for a connection to `host`.
    pub fn server_name_for(&self, host: &str) -> Result<ServerName<'static>, TlsError> {
        let name = self.server_name.as_deref().unwrap_or(host);
        ServerName::try_from(name.to_string()).map_err(|_| {
            TlsError::config(format!(
                "{name:?} is not a valid TLS server name (a DNS name or an IP address)"
            ))
        })
    }

    /// Builds the rustls configuration: reads the CA file (or the system's
    /// roots) and the client certificate. Build it once and share it.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        if let Some(config) = &self.config {
            return Ok(config.clone());
        }
        // An explicit provider: the process-wide default may be unset, or
        // ambiguous when another crate enables aws-lc-rs.
        let provider = Arc::new(self.provider()?);
        let versions = self.versions()?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| {
                TlsError::config(format!(
                    "TLS {}–{} with the chosen cipher suites: {e}",
                    self.min_version, self.max_version
                ))
            })?;
        let builder = if self.accept_invalid_certs {
            log::warn!("TLS certificate verification is off (danger_accept_invalid_certs)");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert(provider)))
        } else if self.skip_hostname_check {
            log::warn!(
                "TLS host name verification is off (insecure_skip_hostname_check): \
                 any certificate of a trusted CA is accepted"
            );
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(self.roots()?),
                provider,
            )
            .build()
            .map_err(|e| TlsError::config(format!("certificate verifier: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerName(webpki)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let mut config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = read_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| TlsError::config(format!("private key {}: {e}", key.display())))?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    // `openssl x509 -req` without extensions makes X.509 v1
                    // certificates, which webpki refuses to parse.
                    let hint = if format!("{e:?}").contains("UnsupportedCertVersion") {
                        " (an X.509 v1 certificate: sign it as v3, with extensions)"
                    } else {
                        ""
                    };
                    TlsError::config(format!("client certificate {}: {e}{hint}", cert.display()))
                })?
            }
        };
        config.alpn_protocols = self.alpn.clone();
        config.enable_sni = self.sni;
        Ok(Arc::new(config))
    }

    /// The ring provider with the chosen cipher suites, in the order given.
    fn provider(&self) -> Result<CryptoProvider, TlsError> {
        let mut provider = rustls::crypto::ring::default_provider();
        let Some(names) = &self.ciphers else {
            return Ok(provider);
        };
        let available = provider.cipher_suites.clone();
        let mut chosen = Vec::new();
        for name in names {
            let wanted = cipher_name(name);
            let found = available.iter().find(|s| {
                s.suite()
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&wanted))
            });
            match found {
                Some(suite) if !chosen.contains(suite) => chosen.push(*suite),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = available
                        .iter()
                        .filter_map(|s| s.suite().as_str())
                        .collect();
                    return Err(TlsError::config(format!(
                        "unknown or unsupported cipher suite {name:?}; this client has: {}",
                        known.join(", ")
                    )));
                }
            }
        }
        provider.cipher_suites = chosen;
        Ok(provider)
    }

    /// The protocol versions from the minimum to the maximum.
    fn versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, TlsError> {
        if self.min_version > self.max_version {
            return Err(TlsError::config(format!(
                "the minimum TLS version ({}) is above the maximum ({})",
                self.min_version, self.max_version
            )));
        }
        let mut versions = Vec::new();
        if self.max_version >= TlsVersion::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        if self.min_version <= TlsVersion::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        Ok(versions)
    }

    fn roots(&self) -> Result<RootCertStore, TlsError> {
        let mut roots = RootCertStore::empty();
        match &self.ca_file {
            Some(path) => {
                for cert in read_certs(path)? {
                    roots.add(cert).map_err(|e| {
                        TlsError::config(format!("CA file {}: {e}", path.display()))
                    })?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                for e in &found.errors {
                    log::debug!("system root certificates: {e}");
                }
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(TlsError::config(
                        "no system root certificates found (install ca-certificates, \
                         or give a CA file)"
                            .to_string(),
                    ));
                }
            }
        }
        Ok(roots)
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::config(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsError::config(format!(
            "{}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// OpenSSL's names of the suites rustls (ring) has, and rustls's own.
const OPENSSL_CIPHER_NAMES: &[(&str, &str)] = &[
    ("TLS_AES_256_GCM_SHA384", "TLS13_AES_256_GCM_SHA384"),
    ("TLS_AES_128_GCM_SHA256", "TLS13_AES_128_GCM_SHA256"),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS13_CHACHA20_POLY1305_SHA256",
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// A cipher suite name as rustls spells it.
fn cipher_name(name: &str) -> String {
    OPENSSL_CIPHER_NAMES
        .iter()
        .find(|(openssl, _)| openssl.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |(_, rustls)| rustls.to_string())
}

/// The verifier behind [`TlsOptions::insecure_skip_hostname_check`]: the
/// full WebPKI verification, whose one failure "not valid for this name"
/// (checked last, after the chain and the validity period) is forgiven.
#[derive(Debug)]
struct AnyServerName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyServerName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verified {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The verifier behind [`TlsOptions::danger_accept_invalid_certs`]: any
/// certificate is accepted, but the handshake signatures are still checked
/// (the server must hold the key of the certificate it sent).
#[derive(Debug)]
struct AcceptAnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What kind of TLS failure a [`TlsError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server's certificate does not chain to a trusted root.
    UnknownAuthority,
    /// The server's certificate (or one in its chain) has expired.
    Expired,
    /// The server's certificate is not valid yet.
    NotYetValid,
    /// The server's certificate is for other names than the one connected to.
    HostnameMismatch,
    /// The server's certificate is unusable for another reason (revoked,
    /// bad signature, wrong purpose ...).
    InvalidCertificate,
    /// The server requires a client certificate and none was configured.
    ClientCertificateRequired,
    /// The server refused the client certificate.
    ClientCertificateRejected,
    /// The server ended the handshake with another alert.
    AlertReceived,
    /// The server speaks none of the TLS versions (or cipher suites) this
    /// client allows ([`TlsOptions::min_version`], [`TlsOptions::ciphers`]).
    UnsupportedVersion,
    /// The peer broke the TLS protocol, or the connection ended mid-handshake.
    Protocol,
    /// The options cannot be used (unreadable CA file or key, invalid name ...).
    Config,
}

/// A TLS failure, with a message that says what to check.
#[derive(Debug, Clone)]
pub struct TlsError {
    kind: TlsErrorKind,
    message: String,
    source: Option<rustls::Error>,
    /// `host:port` of the connection, once the client core knows it failed.
    endpoint: Option<Box<str>>,
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.endpoint {
            Some(at) => write!(f, "TLS: {at}: {}", self.message),
            None => write!(f, "TLS: {}", self.message),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl TlsError {
    /// What went wrong.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// The rustls error behind it, if any.
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        self.source.as_ref()
    }

    /// The endpoint (`host:port`) this error happened with, if named.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The same error naming `endpoint`, unless it already names one.
    pub fn at(mut self, endpoint: &str) -> Self {
        self.endpoint.get_or_insert_with(|| endpoint.into());
        self
    }

    pub(crate) fn config(message: String) -> Self {
        Self {
            kind: TlsErrorKind::Config,
            message,
            source: None,
            endpoint: None,
        }
    }

    pub(crate) fn protocol(message: String) -> Self {
        Self {
            kind: TlsErrorKind::Protocol,
            message,
            source: None,
            endpoint: None,
        }
    }

    /// Explains a rustls error for a connection to `server`.
    pub fn from_rustls(error: rustls::Error, server: &str) -> Self {
        use TlsErrorKind as K;
        let (kind, message) = match &error {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::UnknownIssuer => (
                    K::UnknownAuthority,
                    format!(
                        "certificate signed by an unknown authority: no trusted root issued \
                         the certificate of {server} (give its CA file, or check the system's roots)"
                    ),
                ),
                CertificateError::Expired => (
                    K::Expired,
                    format!("the certificate of {server} has expired"),
                ),
                CertificateError::ExpiredContext { time, not_after } => (
                    K::Expired,
                    format!(
                        "the certificate of {server} has expired: valid until {} (Unix time), now {}",
                        not_after.as_secs(),
                        time.as_secs()
                    ),
                ),
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                    K::NotYetValid,
                    format!(
                        "the certificate of {server} is not valid yet (check the clock)"
                    ),
                ),
                CertificateError::NotValidForName => (
                    K::HostnameMismatch,
                    format!("hostname mismatch: the certificate is not valid for {server}"),
                ),
                CertificateError::NotValidForNameContext { expected, presented } => (
                    K::HostnameMismatch,
                    format!(
                        "hostname mismatch: the certificate is valid for {}, not for {}",
                        if presented.is_empty() {
                            "no name".to_string()
                        } else {
                            presented.join(", ")
                        },
                        expected.to_str()
                    ),
                ),
                other => (
                    K::InvalidCertificate,
                    format!("the certificate of {server} is invalid: {other:?}"),
                ),
            },
            rustls::Error::AlertReceived(alert) => match alert {
                AlertDescription::CertificateRequired => (
                    K::ClientCertificateRequired,
                    format!("{server} requires a client certificate (give a certificate and key)"),
                ),
                AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA => (
                    K::ClientCertificateRejected,
                    format!("{server} rejected the client certificate (alert {alert:?})"),
                ),
                AlertDescription::ProtocolVersion => (
                    K::UnsupportedVersion,
                    format!(
                        "{server} supports none of the TLS versions this client allows \
                         (protocol_version alert: check the minimum TLS version)"
                    ),
                ),
                AlertDescription::HandshakeFailure => (
                    K::AlertReceived,
                    format!(
                        "{server} ended the handshake (handshake_failure: no common cipher or \
                         version, or a client certificate is required)"
                    ),
                ),
                other => (
                    K::AlertReceived,
                    format!("{server} sent the alert {other:?}"),
                ),
            },
            rustls::Error::PeerIncompatible(why) => (
                K::UnsupportedVersion,
                format!(
                    "{server} and this client have no TLS version or cipher suite in \
                     common ({why:?})"
                ),
            ),
            other => (K::Protocol, format!("with {server}: {other}")),
        };
        Self {
            kind,
            message,
            source: Some(error),
            endpoint: None,
        }
    }

    fn into_io(self) -> io::Error {
        let kind = match self.kind {
            TlsErrorKind::Config => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io_error(kind, self)
    }
}

/// TLS client side over caller-driven buffers.
pub struct TlsLayer {
    conn: ClientConnection,
    /// For error messages.
    server: String,
    plaintext: Vec<u8>,
    closed: bool,
}

impl std::fmt::Debug for TlsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsLayer")
            .field("server", &self.server)
            .field("handshaking", &self.conn.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl TlsLayer {
    /// A client connection to `server_name`; the ClientHello is ready in
    /// [`StreamLayer::take_wire`].
    pub fn new(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<Self, TlsError> {
        let server = server_name.to_str().into_owned();
        let mut conn = ClientConnection::new(config, server_name)
            .map_err(|e| TlsError::from_rustls(e, &server))?;
        // The caller drains the output after every write, so rustls need
        // not push back; plaintext written during the handshake waits here.
        conn.set_buffer_limit(None);
        Ok(Self {
            conn,
            server,
            plaintext: Vec::new(),
            closed: false,
        })
    }

    /// The rustls connection: negotiated version, cipher suite, ALPN
    /// protocol, the server's certificates.
    pub fn connection(&self) -> &ClientConnection {
        &self.conn
    }

    fn drain_plaintext(&mut self) -> io::Result<()> {
        match self.conn.reader().read_to_end(&mut self.plaintext) {
            // A clean close_notify.
            Ok(_) => {
                self.closed = true;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl StreamLayer for TlsLayer {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn read_wire(&mut self, wire: &[u8]) -> io::Result<()> {
        let mut rest = wire;
        while !rest.is_empty() {
            let n = self.conn.read_tls(&mut rest)?;
            if let Err(e) = self.conn.process_new_packets() {
                return Err(TlsError::from_rustls(e, &self.server).into_io());
            }
            self.drain_plaintext()?;
            if n == 0 {
                // After close_notify rustls reads nothing more.
                break;
            }
        }
        Ok(())
    }

    fn read_eof(&mut self) -> io::Result<()> {
        if self.conn.is_handshaking() {
            return Err(TlsError::protocol(format!(
                "{} closed the connection during the TLS handshake (is it a TLS listener?)",
                self.server
            ))
            .into_io());
        }
        // A missing close_notify is tolerated: MQTT's own framing tells a
        // truncated packet from a complete one.
        Ok(())
    }

    fn take_plaintext(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.plaintext);
        } else {
            out.append(&mut self.plaintext);
        }
    }

    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
        self.conn.writer().write_all(data)
    }

    fn take_wire(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            match self.conn.write_tls(out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    fn is_closed(&self) -> bool {
        self.closed
    }

    fn close(&mut self) {
        self.conn.send_close_notify();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_testing::TestCerts;
    use rustls::ServerConnection;

    struct Pki {
        _dir: tempdir::Dir,
        certs: TestCerts,
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn pki(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("tls-layer-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let certs = TestCerts::generate(&dir);
        Pki {
            _dir: tempdir::Dir(dir),
            certs,
        }
    }

    fn server(
        cert: &Path,
        key: &Path,
        alpn: &[&[u8]],
        client_ca: Option<&Path>,
    ) -> ServerConnection {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for c in read_certs(ca).unwrap() {
                    roots.add(c).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::new(rustls::crypto::ring::default_provider()),
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(
                read_certs(cert).unwrap(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        ServerConnection::new(Arc::new(config)).unwrap()
    }

    /// Moves bytes both ways until neither side has anything to send;
    /// the first error of the client is returned.
    fn pump(client: &mut TlsLayer, server: &mut ServerConnection) -> io::Result<()> {
        for _ in 0..20 {
            let mut wire = Vec::new();
            client.take_wire(&mut wire);
            let mut moved = !wire.is_empty();
            let mut rest = wire.as_slice();
            while !rest.is_empty() {
                server.read_tls(&mut rest).unwrap();
                if server.process_new_packets().is_err() {
                    break;
                }
            }
            let mut back = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut back).unwrap();
            }
            moved |= !back.is_empty();
            if !back.is_empty() {
                client.read_wire(&back)?;
            }
            if !moved {
                break;
            }
        }
        Ok(())
    }

    fn server_plaintext(server: &mut ServerConnection) -> Vec<u8> {
        let mut got = Vec::new();
        let _ = server.reader().read_to_end(&mut got);
        got
    }

    #[test]
    fn handshake_sni_alpn_and_data_both_ways() {
        let p = pki("ok");
        let options = TlsOptions::new()
            .ca_file(&p.certs.ca)
            .alpn(["mqtt", "x-other"]);
        let mut client = TlsLayer::new(
            options.client_config().unwrap(),
            options.server_name_for("localhost").unwrap(),
        )
        .unwrap();
        let mut server = server(&p.certs.server_cert, &p.certs.server_key, &[b"mqtt"], None);
        // Plaintext written before the handshake waits for it.
        client.write_plaintext(b"\x10early").unwrap();
        assert!(client.is_handshaking());
        pump(&mut client, &mut server).unwrap();
        assert!(!client.is_handshaking());
        assert_eq!(server.server_name(), Some("localhost"));
        assert_eq!(client.connection().alpn_protocol(), Some(&b"mqtt"[..]));
        assert_eq!(server_plaintext(&mut server), b"\x10early");

        server.writer().write_all(b"\x20\x02\x00\x00").unwrap();
        pump(&mut client, &mut server).unwrap();
        let mut got = Vec::new();
        client.take_plaintext(&mut got);
        assert_eq!(got, b"\x20\x02\x00\x00");

        // close_notify from the server ends the stream cleanly.
        server.send_close_notify();
        pump(&mut client, &mut server).unwrap();
        assert!(client.is_closed());
    }

    #[test]
    fn sni_can_be_turned_off_and_the_name_overridden() {
        let p = pki("sni");
        let options = TlsOptions::new()
            .ca_file(&p.certs.ca)
            .server_name("localhost")
            .sni(false);
        // Connecting "to 10.0.0.1" while verifying the name localhost.
        let mut client = TlsLayer::new(
            options.client_config().unwrap(),
            options.server_name_for("10.0.0.1").unwrap(),
        )
        .unwrap();
        let mut server = server(&p.certs.server_cert, &p.certs.server_key, &[], None);
        pump(&mut client, &mut server).unwrap();
        assert!(!client.is_handshaking());
        assert_eq!(server.server_name(), None);
    }

    fn refused(options: TlsOptions, host: &str, cert: &Path, key: &Path) -> TlsError {
        let mut client = TlsLayer::new(
            options.client_config().unwrap(),
            options.server_name_for(host).unwrap(),
        )
        .unwrap();
        let mut server = server(cert, key, &[], None);
        let e = pump(&mut client, &mut server).expect_err("the handshake must fail");
        e.into_inner()
            .and_then(|e| e.downcast::<TlsError>().ok())
            .map(|e| *e)
            .expect("a TlsError")
    }

    #[test]
    fn verification_failures_have_their_own_kind_and_message() {
        let p = pki("fail");
        let c = &p.certs;
        let e = refused(
            TlsOptions::new().ca_file(&c.unknown_ca),
            "localhost",
            &c.server_cert,
            &c.server_key,
        );
        assert_eq!(e.kind(), TlsErrorKind::UnknownAuthority, "{e}");
        assert!(
            e.to_string()
                .contains("certificate signed by an unknown authority"),
            "{e}"
        );
        let e = refused(
            TlsOptions::new().ca_file(&c.ca),
            "localhost",
            &c.expired_cert,
            &c.expired_key,
        );
        assert_eq!(e.kind(), TlsErrorKind::Expired, "{e}");
        assert!(e.to_string().contains("expired"), "{e}");
        let e = refused(
            TlsOptions::new().ca_file(&c.ca),
            "127.0.0.1",
            &c.other_host_cert,
            &c.other_host_key,
        );
        assert_eq!(e.kind(), TlsErrorKind::HostnameMismatch, "{e}");
        assert!(e.to_string().contains("hostname mismatch"), "{e}");
        assert!(e.to_string().contains(TestCerts::OTHER_HOST), "{e}");
    }

    #[test]
    fn danger_accept_invalid_certs_accepts_them_all() {
        let p = pki("danger");
        let c = &p.certs;
        for (cert, key) in [
            (&c.expired_cert, &c.expired_key),
            (&c.other_host_cert, &c.other_host_key),
        ] {
            let options = TlsOptions::new().danger_accept_invalid_certs(true);
            assert!(options.accepts_invalid_certs());
            let mut client = TlsLayer::new(
                options.client_config().unwrap(),
                options.server_name_for("127.0.0.1").unwrap(),
            )
            .unwrap();
            let mut server = server(cert, key, &[], None);
            pump(&mut client, &mut server).unwrap();
            assert!(!client.is_handshaking());
        }
    }

    #[test]
    fn client_certificate_is_presented_for_mutual_tls() {
        let p = pki("mtls");
        let c = &p.certs;
        let options = TlsOptions::new()
            .ca_file(&c.ca)
            .client_cert(&c.client_cert, &c.client_key);
        let mut client = TlsLayer::new(
            options.client_config().unwrap(),
            options.server_name_for("localhost").unwrap(),
        )
        .unwrap();
        let mut server = server(&c.server_cert, &c.server_key, &[], Some(&c.ca));
        client.write_plaintext(b"hello").unwrap();
        pump(&mut client, &mut server).unwrap();
        assert!(server.peer_certificates().is_some_and(|c| c.len() == 1));
        assert_eq!(server_plaintext(&mut server), b"hello");
    }

    #[test]
    fn unreadable_files_are_config_errors() {
        let e = TlsOptions::new()
            .ca_file("/nonexistent/ca.pem")
            .client_config()
            .unwrap_err();
        assert_eq!(e.kind(), TlsErrorKind::Config);
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let e = TlsOptions::new().server_name_for("bad name!").unwrap_err();
        assert_eq!(e.kind(), TlsErrorKind::Config);
    }

    #[test]
    fn eof_during_the_handshake_is_an_error() {
        let options = TlsOptions::new().danger_accept_invalid_certs(true);
        let mut client = TlsLayer::new(
            options.client_config().unwrap(),
            options.server_name_for("localhost").unwrap(),
        )
        .unwrap();
        let e = client.read_eof().unwrap_err();
        assert!(e.to_string().contains("during the TLS handshake"), "{e}");
    }
}
