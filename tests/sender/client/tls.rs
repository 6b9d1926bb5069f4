//! Authenticated channels: a TLS server on 127.0.0.1 that demands a client certificate, as MPNS
//! did for `unthrottledthirdparty` channels. Keys and certificates are made fresh per test run.
//!
//! The server caps TLS at 1.2 (the MPNS era): there a refused client certificate fails the
//! handshake itself. Under TLS 1.3 the refusal comes as an alert after the handshake; both are
//! reported as [`TransportErrorKind::Tls`].

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mpns::{Action, ChannelUri, Client, Toast, TransportErrorKind};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{HandshakeError, SslAcceptor, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509NameBuilder, X509};

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

enum Role {
    Ca,
    Server,
    Client,
}

fn certificate(
    cn: &str,
    key: &PKey<Private>,
    role: Role,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial()).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(ca, _)| ca.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    match role {
        Role::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Role::Server => {
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .dns("localhost")
                .build(&b.x509v3_context(issuer.map(|(ca, _)| &**ca), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
        }
        Role::Client => {
            b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
                .unwrap();
        }
    }
    b.sign(issuer.map_or(key, |(_, k)| k), MessageDigest::sha256())
        .unwrap();
    b.build()
}

fn rand_serial() -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32 & 0x7fff_ffff
}

/// A test CA, a server certificate for 127.0.0.1 and a client certificate for the service name
/// `push.example.com`, both issued by the CA (also used by the tunnel tests).
pub(super) struct Pki {
    pub(super) ca: X509,
    pub(super) client_cert: X509,
    pub(super) client_key: PKey<Private>,
    pub(super) server_cert: X509,
    pub(super) server_key: PKey<Private>,
}

pub(super) fn pki() -> Pki {
    let ca_key = key();
    let ca = certificate("MPNS test root", &ca_key, Role::Ca, None);
    let server_key = key();
    let server_cert = certificate("127.0.0.1", &server_key, Role::Server, Some((&ca, &ca_key)));
    let client_key = key();
    let client_cert = certificate(
        "push.example.com",
        &client_key,
        Role::Client,
        Some((&ca, &ca_key)),
    );
    Pki {
        ca,
        client_cert,
        client_key,
        server_cert,
        server_key,
    }
}

/// Starts a TLS server (TLS 1.2 unless told otherwise) that requires a client certificate signed by the test CA and answers
/// every request with 200 Received. Returns its base URL and the client CNs it has seen.
fn mutual_tls_server(pki: &Pki) -> (String, Arc<Mutex<Vec<String>>>) {
    mutual_tls_server_up_to(pki, SslVersion::TLS1_2)
}

fn mutual_tls_server_up_to(pki: &Pki, max: SslVersion) -> (String, Arc<Mutex<Vec<String>>>) {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acceptor.set_private_key(&pki.server_key).unwrap();
    acceptor.set_certificate(&pki.server_cert).unwrap();
    acceptor.set_max_proto_version(Some(max)).unwrap();
    acceptor.add_client_ca(&pki.ca).unwrap();
    acceptor.cert_store_mut().add_cert(pki.ca.clone()).unwrap();
    acceptor.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut tls = match acceptor.accept(stream) {
                Ok(tls) => tls,
                Err(HandshakeError::Failure(mut refused)) => {
                    // The alert is written; closing now with the client's request unread would
                    // make the kernel send a reset, which can reach the client before the alert.
                    // Close our side and read until the client hangs up instead.
                    let stream = refused.get_mut();
                    let _ = stream.shutdown(std::net::Shutdown::Write);
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    let _ = std::io::copy(stream, &mut std::io::sink());
                    continue;
                }
                Err(_) => continue,
            };
            let cn = tls
                .ssl()
                .peer_certificate()
                .and_then(|c| {
                    c.subject_name()
                        .entries_by_nid(Nid::COMMONNAME)
                        .next()
                        .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
                })
                .unwrap_or_default();
            log.lock().unwrap().push(cn);
            // Read one request (head and body), answer, close.
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < head_end + len {
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = tls.write_all(
                b"HTTP/1.1 200 OK\r\nX-NotificationStatus: Received\r\nX-DeviceConnectionStatus: Connected\r\nX-SubscriptionStatus: Active\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = tls.shutdown();
        }
    });
    (base, seen)
}

/// Sends a toast to the test server's channel.
async fn send_hi(client: &Client, base: &str) -> Result<mpns::Outcome, mpns::TransportError> {
    client
        .send(&channel(base), &Toast::new().text1("hi").build().unwrap())
        .await
}

fn channel(base: &str) -> ChannelUri {
    format!("{base}/unthrottledthirdparty/01.00/AAE")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_pem_client_certificate_is_presented_to_an_authenticated_channel() {
    let pki = pki();
    let (base, seen) = mutual_tls_server(&pki);
    let client = Client::builder()
        .add_root_certificate_pem(&pki.ca.to_pem().unwrap())
        .client_certificate_pem(
            &pki.client_cert.to_pem().unwrap(),
            &pki.client_key.private_key_to_pem_pkcs8().unwrap(),
        )
        .build()
        .unwrap();
    let outcome = send_hi(&client, &base).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    assert_eq!(*seen.lock().unwrap(), vec!["push.example.com".to_owned()]);
}

#[tokio::test]
async fn a_pkcs12_client_certificate_is_presented_to_an_authenticated_channel() {
    let pki = pki();
    let (base, seen) = mutual_tls_server(&pki);
    let archive = Pkcs12::builder()
        .name("push service")
        .pkey(&pki.client_key)
        .cert(&pki.client_cert)
        .build2("s3cret")
        .unwrap()
        .to_der()
        .unwrap();
    let client = Client::builder()
        .add_root_certificate_pem(&pki.ca.to_pem().unwrap())
        .client_certificate_pkcs12(&archive, "s3cret")
        .build()
        .unwrap();
    let outcome = send_hi(&client, &base).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    assert_eq!(*seen.lock().unwrap(), vec!["push.example.com".to_owned()]);
}

#[tokio::test]
async fn every_certificate_of_a_root_bundle_is_trusted() {
    let pki = pki();
    let (base, _) = mutual_tls_server(&pki);
    // An unrelated root first, the server's own root second, in one PEM.
    let mut bundle = certificate("Another test root", &key(), Role::Ca, None)
        .to_pem()
        .unwrap();
    bundle.extend(pki.ca.to_pem().unwrap());
    let client = Client::builder()
        .add_root_certificate_pem(&bundle)
        .client_certificate_pem(
            &pki.client_cert.to_pem().unwrap(),
            &pki.client_key.private_key_to_pem_pkcs8().unwrap(),
        )
        .build()
        .unwrap();
    let outcome = send_hi(&client, &base).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
}

#[tokio::test]
async fn a_pkcs12_archive_with_the_wrong_password_is_a_build_error() {
    let pki = pki();
    let archive = Pkcs12::builder()
        .name("push service")
        .pkey(&pki.client_key)
        .cert(&pki.client_cert)
        .build2("s3cret")
        .unwrap()
        .to_der()
        .unwrap();
    let err = Client::builder()
        .client_certificate_pkcs12(&archive, "wrong")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().starts_with("client certificate (PKCS#12)"),
        "{err}"
    );
}

#[tokio::test]
async fn without_a_client_certificate_the_handshake_fails_as_a_tls_error() {
    let pki = pki();
    let (base, seen) = mutual_tls_server(&pki);
    let client = Client::builder()
        .add_root_certificate_pem(&pki.ca.to_pem().unwrap())
        .build()
        .unwrap();
    let err = send_hi(&client, &base).await.unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
    assert!(seen.lock().unwrap().is_empty());
}

/// On OpenSSL platforms only: elsewhere the TLS 1.3 alert is not told apart from other failures.
#[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
#[tokio::test]
async fn a_tls13_alert_refusing_a_missing_client_certificate_is_a_tls_error() {
    let pki = pki();
    let (base, seen) = mutual_tls_server_up_to(&pki, SslVersion::TLS1_3);
    let client = Client::builder()
        .add_root_certificate_pem(&pki.ca.to_pem().unwrap())
        .build()
        .unwrap();
    let err = send_hi(&client, &base).await.unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("certificate required"), "{err}");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_server_certificate_from_an_untrusted_root_is_a_tls_error() {
    let pki = pki();
    let (base, _) = mutual_tls_server(&pki);
    let client = Client::builder()
        .client_certificate_pem(
            &pki.client_cert.to_pem().unwrap(),
            &pki.client_key.private_key_to_pem_pkcs8().unwrap(),
        )
        .build()
        .unwrap();
    let err = send_hi(&client, &base).await.unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
}

#[tokio::test]
async fn an_https_channel_answered_in_plain_http_is_a_tls_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let err = Client::new()
        .send(
            &channel(&format!("https://{addr}")),
            &Toast::new().text1("hi").build().unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
}
