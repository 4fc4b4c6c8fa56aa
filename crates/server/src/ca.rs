//! A local certificate authority in the data dir, so `--tls` works without an operator's certificate.
//!
//! The first server started with `--tls` over a data dir makes a CA (`tls-ca.pem`, key in
//! `tls-ca-key.pem`); every server over that dir, `tandem xdr` and `tandem siem` alike, reuses it, so a
//! client trusts both with one file (`TANDEM_CA_CERT` in `credentials.env`). Each service then gets its
//! own server certificate (`tls-xdr.pem` / `tls-xdr-key.pem` ...) for `localhost`, `127.0.0.1`, `::1` and
//! the names asked for. A server certificate is reused until it names other hosts, was issued by
//! another CA, or has less than [`RENEW_BEFORE_DAYS`] left.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::datadir::DataDir;
use crate::error::ServerError;

/// The CA's certificate in the data dir (PEM); `TANDEM_CA_CERT` points here.
pub const CA_CERT_FILE: &str = "tls-ca.pem";
/// The CA's private key in the data dir (PKCS#8 PEM).
pub const CA_KEY_FILE: &str = "tls-ca-key.pem";
/// The names every generated server certificate carries.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long the CA is valid.
const CA_VALIDITY_DAYS: i64 = 3650;
/// How long a server certificate is valid.
const SERVER_VALIDITY_DAYS: i64 = 365;
/// A server certificate with less time left than this is issued again at start.
const RENEW_BEFORE_DAYS: i64 = 30;

/// A server certificate and key issued by the data dir's CA, as PEM, with where they are kept.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// The server certificate followed by the CA certificate.
    pub chain_pem: String,
    /// The server's private key (PKCS#8).
    pub key_pem: String,
    /// The CA certificate file clients should trust.
    pub ca_file: PathBuf,
}

/// Loads (or makes) the data dir's CA and a server certificate for `service` naming the loopback
/// names and `extra_names`. Holds the data dir's lock, so servers starting together share one CA.
pub fn server_certificate(
    dir: &DataDir,
    service: &str,
    extra_names: &[String],
) -> Result<IssuedCertificate, ServerError> {
    let names = wanted_names(extra_names)?;
    let _guard = dir.lock()?;
    let (ca_pem, ca_key) = load_or_create_ca(dir)?;
    let cert_file = format!("tls-{service}.pem");
    let key_file = format!("tls-{service}-key.pem");
    let kept = match (dir.read(&cert_file)?, dir.read(&key_file)?) {
        (Some(cert), Some(key)) if still_good(&cert, &ca_pem, &names) => Some((cert, key)),
        _ => None,
    };
    let (cert_pem, key_pem) = match kept {
        Some(pair) => pair,
        None => {
            let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key)
                .map_err(|e| tls_error(CA_CERT_FILE, e))?;
            let (cert, key) = issue_server_certificate(&issuer, &names)?;
            dir.write_atomic(&key_file, key.as_bytes())?;
            dir.write_atomic(&cert_file, cert.as_bytes())?;
            tracing::info!(service, names = ?names, "issued a server certificate from the local CA");
            (cert, key)
        }
    };
    Ok(IssuedCertificate {
        chain_pem: format!("{cert_pem}{ca_pem}"),
        key_pem,
        ca_file: absolute(dir.path(CA_CERT_FILE))?,
    })
}

/// The loopback names plus `extra`, each checked to be a host name or IP address.
fn wanted_names(extra: &[String]) -> Result<BTreeSet<String>, ServerError> {
    let mut names: BTreeSet<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
    for name in extra {
        let name = name.trim().trim_start_matches('[').trim_end_matches(']');
        let host_like = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '*'));
        if !host_like {
            return Err(ServerError::Invalid(format!(
                "--tls-name {name:?} is not a host name or IP address"
            )));
        }
        names.insert(canonical_name(name));
    }
    Ok(names)
}

/// Host names compare case-insensitively and IP addresses by value.
fn canonical_name(name: &str) -> String {
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => name.to_ascii_lowercase(),
    }
}

fn load_or_create_ca(dir: &DataDir) -> Result<(String, KeyPair), ServerError> {
    match (dir.read(CA_CERT_FILE)?, dir.read(CA_KEY_FILE)?) {
        (Some(cert), Some(key)) => {
            let key = KeyPair::from_pem(&key).map_err(|e| tls_error(CA_KEY_FILE, e))?;
            Ok((cert, key))
        }
        (None, None) => {
            let (cert, key) = create_ca()?;
            dir.write_atomic(CA_KEY_FILE, key.serialize_pem().as_bytes())?;
            dir.write_atomic(CA_CERT_FILE, cert.as_bytes())?;
            tracing::info!(file = %dir.path(CA_CERT_FILE).display(), "made a local certificate authority");
            Ok((cert, key))
        }
        (cert, _) => {
            let (present, missing) = if cert.is_some() {
                (CA_CERT_FILE, CA_KEY_FILE)
            } else {
                (CA_KEY_FILE, CA_CERT_FILE)
            };
            Err(ServerError::Invalid(format!(
                "the data dir {} holds {present} but not {missing}; remove {present} to make a new local CA (clients must then trust the new one)",
                dir.root().display()
            )))
        }
    }
}

/// A new CA: a P-256 key and a self-signed certificate that may sign server certificates only.
fn create_ca() -> Result<(String, KeyPair), ServerError> {
    let key = KeyPair::generate().map_err(|e| tls_error("a new CA key", e))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    name.push(DnType::OrganizationName, "Tandem");
    name.push(
        DnType::CommonName,
        format!("Tandem local CA {}", &unique[..8]),
    );
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    (params.not_before, params.not_after) = validity(CA_VALIDITY_DAYS);
    let cert = params
        .self_signed(&key)
        .map_err(|e| tls_error("the CA certificate", e))?;
    Ok((cert.pem(), key))
}

/// A server certificate for `names`, signed by `issuer`; returns the certificate and key as PEM.
fn issue_server_certificate(
    issuer: &Issuer<'_, KeyPair>,
    names: &BTreeSet<String>,
) -> Result<(String, String), ServerError> {
    let key = KeyPair::generate().map_err(|e| tls_error("a new server key", e))?;
    let mut params = CertificateParams::new(names.iter().cloned().collect::<Vec<_>>())
        .map_err(|e| tls_error("the server certificate's names", e))?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, "localhost");
    params.distinguished_name = subject;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(SERVER_VALIDITY_DAYS);
    let cert = params
        .signed_by(&key, issuer)
        .map_err(|e| tls_error("the server certificate", e))?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// From an hour ago (for clocks that disagree) until `days` from now.
fn validity(days: i64) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let now = time::OffsetDateTime::now_utc();
    (
        now - time::Duration::hours(1),
        now + time::Duration::days(days),
    )
}

/// True when the kept server certificate names exactly `names`, was signed by the CA in `ca_pem` and
/// has more than [`RENEW_BEFORE_DAYS`] left.
fn still_good(cert_pem: &str, ca_pem: &str, names: &BTreeSet<String>) -> bool {
    let (Some(cert_der), Some(ca_der)) = (first_der(cert_pem), first_der(ca_pem)) else {
        return false;
    };
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(&cert_der),
        X509Certificate::from_der(&ca_der),
    ) else {
        return false;
    };
    let renew_at = chrono::Utc::now().timestamp() + RENEW_BEFORE_DAYS * 86_400;
    cert.validity().not_after.timestamp() > renew_at
        && cert.verify_signature(Some(ca.public_key())).is_ok()
        && certificate_names(&cert) == *names
}

/// The DNS and IP names of a certificate's subject alternative names.
fn certificate_names(cert: &X509Certificate<'_>) -> BTreeSet<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return BTreeSet::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(canonical_name(dns)),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

/// The DER of the first PEM block in `pem`.
fn first_der(pem: &str) -> Option<Vec<u8>> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()?
        .ok()
        .map(|der| der.to_vec())
}

fn absolute(path: PathBuf) -> Result<PathBuf, ServerError> {
    std::path::absolute(&path).map_err(|e| ServerError::io(&path, e))
}

fn tls_error(what: &str, error: rcgen::Error) -> ServerError {
    ServerError::Invalid(format!("TLS: {what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of(pem: &str) -> BTreeSet<String> {
        let der = first_der(pem).unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        certificate_names(&cert)
    }

    #[test]
    fn first_call_makes_a_ca_and_later_calls_reuse_it_and_the_certificate() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let first = server_certificate(&dir, "xdr", &[]).unwrap();
        let ca = std::fs::read_to_string(&first.ca_file).unwrap();
        assert!(first.chain_pem.ends_with(&ca));
        assert_eq!(
            names_of(&first.chain_pem),
            ["127.0.0.1", "::1", "localhost"].map(String::from).into()
        );
        let again = server_certificate(&dir, "xdr", &[]).unwrap();
        assert_eq!(again.chain_pem, first.chain_pem);
        assert_eq!(again.key_pem, first.key_pem);
    }

    #[test]
    fn another_service_shares_the_ca_and_new_names_reissue_the_certificate() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let xdr = server_certificate(&dir, "xdr", &[]).unwrap();
        let siem = server_certificate(&dir, "siem", &["Tandem.Example".into()]).unwrap();
        assert_eq!(siem.ca_file, xdr.ca_file);
        assert_ne!(siem.key_pem, xdr.key_pem);
        assert!(names_of(&siem.chain_pem).contains("tandem.example"));
        let renamed = server_certificate(&dir, "siem", &["10.0.0.5".into()]).unwrap();
        assert_ne!(renamed.chain_pem, siem.chain_pem);
        let names = names_of(&renamed.chain_pem);
        assert!(names.contains("10.0.0.5") && !names.contains("tandem.example"));
    }

    #[test]
    fn a_new_ca_makes_the_kept_certificate_stale() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let first = server_certificate(&dir, "xdr", &[]).unwrap();
        std::fs::remove_file(dir.path(CA_CERT_FILE)).unwrap();
        std::fs::remove_file(dir.path(CA_KEY_FILE)).unwrap();
        let second = server_certificate(&dir, "xdr", &[]).unwrap();
        assert_ne!(second.chain_pem, first.chain_pem);
    }

    #[test]
    fn half_a_ca_and_bad_names_are_errors_naming_them() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        server_certificate(&dir, "xdr", &[]).unwrap();
        std::fs::remove_file(dir.path(CA_KEY_FILE)).unwrap();
        let err = server_certificate(&dir, "xdr", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(CA_KEY_FILE), "{err}");
        let err = server_certificate(&dir, "xdr", &["bad name/x".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad name/x"), "{err}");
    }
}
