//! TLS to PostgreSQL with rustls (ring only): the five `sslmode`s, a CA file, and the connection string's own settings.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::StoreError;

/// How a [`super::PostgresStore`] protects its connection, libpq's `sslmode` with one difference in
/// `prefer` and `require` (a CA file given is always checked). Set it in the connection string
/// (`?sslmode=verify-full&sslrootcert=/etc/custodia/ca.pem`, or `sslmode=verify-full` in key-value form)
/// or with [`super::PostgresConfig::with_ssl_mode`], which wins over the string. With neither, the
/// mode is [`SslMode::Prefer`], as in libpq.
///
/// | mode | encrypted | server certificate checked | plaintext possible |
/// |---|---|---|---|
/// | `disable` | never | — | always |
/// | `prefer` | if the server accepts TLS | only against a CA file, if one is given | **yes**, silently to the server, when it refuses TLS or an attacker on the path makes it look so |
/// | `require` | always | only against a CA file, if one is given | never |
/// | `verify-ca` | always | chain to the CA file | never |
/// | `verify-full` | always | chain to the CA file, and the certificate names the host | never |
///
/// Only `verify-full` stops an attacker on the network from impersonating the server (and so reading
/// everything, passwords included); `verify-ca` stops anyone without a certificate from the CA;
/// `require` without a CA file stops only passive eavesdropping. A brokerage deploying custodia on a
/// network it does not wholly control should use `verify-full`. Whether a connection ended up encrypted
/// can be asked with [`super::PostgresStore::transport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SslMode {
    /// Plaintext only: the server's TLS offer is never asked for. For a local socket or a test server.
    Disable,
    /// TLS if the server accepts it, plaintext otherwise, **without telling anyone but
    /// [`super::PostgresStore::transport`]**: an active attacker can strip TLS by answering the TLS
    /// request with a refusal. A TLS handshake that fails (for example a certificate that does not
    /// chain to the CA file) is an error, never a fallback to plaintext. The default, as in libpq.
    Prefer,
    /// TLS always; a server that refuses it cannot be reached. Without a CA file the server's
    /// certificate is not checked (the handshake's signature still is); with one, the chain is, as
    /// `verify-ca` does (libpq does the same when it finds a root certificate file).
    Require,
    /// TLS always, and the server's certificate must chain to a certificate of the CA file (which is then
    /// required). The host name is not compared with the certificate.
    VerifyCa,
    /// TLS always, the certificate must chain to the CA file, and must name the host connected to (its
    /// DNS name or IP address, in the certificate's subject alternative names). The one mode that
    /// authenticates the server.
    VerifyFull,
}

impl SslMode {
    /// libpq's spelling, as in a connection string.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Parses libpq's spelling. `allow` (plaintext first, TLS only if the server insists) is refused:
    /// it is never what a deployment that holds personal information wants.
    pub fn parse(value: &str) -> Result<Self, StoreError> {
        match value {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            _ => Err(StoreError::InvalidConfig {
                field: "sslmode",
                reason: "must be disable, prefer, require, verify-ca or verify-full",
            }),
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a live connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// The connection runs over TLS.
    Tls,
    /// The connection is plaintext (`disable`, or `prefer` against a server that refused TLS).
    Plaintext,
}

/// The TLS settings a connection string carries, and the string without them (the `postgres` client
/// knows only `disable`, `prefer` and `require`, and no CA file).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StringTls {
    pub(crate) mode: Option<SslMode>,
    pub(crate) root_cert: Option<PathBuf>,
}

/// Splits `sslmode` and `sslrootcert` out of a connection string, URL (`postgresql://…?sslmode=…`) or
/// key-value (`host=… sslmode=…`) form, and returns the rest for the `postgres` client unchanged.
pub(crate) fn split_tls_settings(url: &str) -> Result<(String, StringTls), StoreError> {
    let mut found = StringTls::default();
    let mut take = |key: &str, value: &str| -> Result<bool, StoreError> {
        match key {
            "sslmode" => {
                found.mode = Some(SslMode::parse(value)?);
                Ok(true)
            }
            "sslrootcert" => {
                found.root_cert = Some(PathBuf::from(value));
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), found));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| StoreError::InvalidConfig {
                    field: "connection string",
                    reason: "a query value is not percent-encoded utf-8",
                })?;
            if !take(key, &value)? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, found));
    }
    // Key-value form: `key = value` pairs separated by spaces; a value may be single-quoted, with `\'`
    // and `\\` escapes inside (libpq's grammar). Pairs we keep are copied byte for byte.
    let mut rest = String::with_capacity(url.len());
    let mut chars = url.char_indices().peekable();
    while let Some(&(begin, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        if chars.next().map(|(_, c)| c) != Some('=') {
            return Err(StoreError::InvalidConfig {
                field: "connection string",
                reason: "expected key=value pairs",
            });
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '\'') {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\'' => {
                        closed = true;
                        break;
                    }
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    other => value.push(other),
                }
            }
            if !closed {
                return Err(StoreError::InvalidConfig {
                    field: "connection string",
                    reason: "unterminated quoted value",
                });
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        let end = chars.peek().map_or(url.len(), |(i, _)| *i);
        if !take(&key, &value)? {
            if !rest.is_empty() {
                rest.push(' ');
            }
            rest.push_str(url.get(begin..end).unwrap_or_default());
        }
    }
    Ok((rest, found))
}

/// The connector for a mode and an optional CA file: `None` for `disable`, else a rustls connector whose
/// certificate check is the mode's.
pub(crate) fn connector(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<Option<MakeRustlsConnect>, StoreError> {
    if mode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = root_cert.map(read_roots).transpose()?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|_| StoreError::InvalidConfig {
            field: "tls",
            reason: "the ring provider offers no safe protocol version",
        })?;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
        (SslMode::VerifyFull, Some(roots)) => webpki(roots, &provider)?,
        // verify-ca, and require or prefer with a CA file (`disable` returned above).
        (_, Some(roots)) => Arc::new(ChainOnly(webpki(roots, &provider)?)),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(StoreError::InvalidConfig {
                field: "sslrootcert",
                reason: "verify-ca and verify-full need a CA file",
            });
        }
        (_, None) => Arc::new(Unchecked(provider.signature_verification_algorithms)),
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

fn read_roots(path: &Path) -> Result<RootCertStore, StoreError> {
    let bad = |reason| StoreError::InvalidConfig {
        field: "sslrootcert",
        reason,
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|_| bad("cannot read the CA file"))? {
        let cert = cert.map_err(|_| bad("the CA file holds a malformed PEM certificate"))?;
        roots
            .add(cert)
            .map_err(|_| bad("the CA file holds a certificate that is not a CA"))?;
    }
    if roots.is_empty() {
        return Err(bad("the CA file holds no certificate"));
    }
    Ok(roots)
}

fn webpki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|_| StoreError::InvalidConfig {
            field: "sslrootcert",
            reason: "the CA file cannot verify certificates",
        })
}

/// `verify-ca` (and `require`/`prefer` with a CA file): webpki's full check, except that a certificate
/// for another name is accepted. webpki checks the chain to a trust anchor (and validity dates and key
/// usage) before it compares names, so a name mismatch is reported only for a certificate whose chain
/// verified.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
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

/// `require` and `prefer` without a CA file: any certificate, as libpq accepts any there. The handshake
/// signature is still verified, so the session key is the one of whoever holds that certificate's key —
/// which protects against eavesdropping, not against an attacker in the middle.
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
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
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_libpq_mode_parses_and_allow_is_refused() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(SslMode::parse(mode.as_str()).unwrap(), mode);
        }
        assert!(SslMode::parse("allow").is_err());
        assert!(SslMode::parse("VERIFY-FULL").is_err());
    }

    #[test]
    fn url_settings_are_split_out_and_decoded() {
        let (rest, tls) = split_tls_settings(
            "postgresql://u:p@db.internal:5432/broker?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20file.pem",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgresql://u:p@db.internal:5432/broker?application_name=x"
        );
        assert_eq!(tls.mode, Some(SslMode::VerifyFull));
        assert_eq!(tls.root_cert.as_deref(), Some(Path::new("/etc/ca file.pem")));
        let (rest, tls) = split_tls_settings("postgres://h/db?sslmode=disable").unwrap();
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("postgres://h/db", Some(SslMode::Disable))
        );
        let (rest, tls) = split_tls_settings("postgres://h/db").unwrap();
        assert_eq!((rest.as_str(), tls), ("postgres://h/db", StringTls::default()));
        assert!(split_tls_settings("postgres://h/db?sslmode=allow").is_err());
    }

    #[test]
    fn key_value_settings_are_split_out_and_the_rest_kept_byte_for_byte() {
        // libpq has no `''` escape; whatever the splitter makes of one, it must not panic.
        let _ = split_tls_settings("host=db password='it''s' sslmode=require");
        let (rest, tls) =
            split_tls_settings("host=db.internal sslmode = verify-ca password='a \\' b' sslrootcert='/etc/my ca.pem' user=custodia")
                .unwrap();
        assert_eq!(rest, "host=db.internal password='a \\' b' user=custodia");
        assert_eq!(tls.mode, Some(SslMode::VerifyCa));
        assert_eq!(tls.root_cert.as_deref(), Some(Path::new("/etc/my ca.pem")));
        assert!(split_tls_settings("host=x password='open").is_err());
        assert!(split_tls_settings("host").is_err());
    }

    #[test]
    fn verifying_modes_need_a_ca_file_and_disable_needs_no_connector() {
        assert!(connector(SslMode::Disable, None).unwrap().is_none());
        for mode in [SslMode::Prefer, SslMode::Require] {
            assert!(connector(mode, None).unwrap().is_some());
        }
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            assert!(matches!(
                connector(mode, None),
                Err(StoreError::InvalidConfig {
                    field: "sslrootcert",
                    ..
                })
            ));
        }
        let missing = Path::new("/nonexistent/custodia-ca.pem");
        assert!(matches!(
            connector(SslMode::VerifyFull, Some(missing)),
            Err(StoreError::InvalidConfig {
                field: "sslrootcert",
                ..
            })
        ));
    }
}
