//! Authenticated channels over mutual TLS: https channel URIs, the client certificate's CN
//! against the service name, 401 otherwise, and callbacks registered over TLS.

use crate::support::client::client;
use crate::support::requests::*;
use mpns_harness::fake::{ChannelOptions, TlsConfig};
use mpns_harness::FakeMpns;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

struct Issued {
    cert: X509,
    key: PKey<Private>,
}

impl Issued {
    fn cert_pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap()
    }

    fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pkcs8_pem(
            &self.cert_pem(),
            &self.key.private_key_to_pem_pkcs8().unwrap(),
        )
        .unwrap()
    }
}

enum Kind {
    Ca,
    Server,
    Client,
}

/// A certificate for `cn`, signed by `issuer` (self-signed when `None`).
fn issue(cn: &str, kind: Kind, issuer: Option<&Issued>, serial: u32) -> Issued {
    // P-256 keys: generating an RSA key took most of this test program's time.
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name()))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(KeyUsage::new().key_cert_sign().crl_sign().build().unwrap())
                .unwrap();
        }
        Kind::Server => {
            let ctx = b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None);
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .dns("localhost")
                .build(&ctx)
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
        }
        Kind::Client => {
            b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
                .unwrap();
        }
    }
    let signer = issuer.map_or(&key, |i| &i.key);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

struct Pki {
    ca: Issued,
    server: Issued,
    client: Issued,
    other_client: Issued,
    rogue: Issued,
}

fn pki() -> Pki {
    let ca = issue("Fake MPNS test CA", Kind::Ca, None, 1);
    let server = issue("127.0.0.1", Kind::Server, Some(&ca), 2);
    let client = issue("push.example.com", Kind::Client, Some(&ca), 3);
    let other_client = issue("other.example.com", Kind::Client, Some(&ca), 4);
    let rogue = issue("push.example.com", Kind::Client, None, 5);
    Pki {
        ca,
        server,
        client,
        other_client,
        rogue,
    }
}

fn https_client(pki: &Pki, identity: Option<&Issued>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .tls_backend_native()
        .tls_certs_only([reqwest::Certificate::from_pem(&pki.ca.cert_pem()).unwrap()]);
    if let Some(id) = identity {
        b = b.identity(id.identity());
    }
    b.build().unwrap()
}

async fn tls_fake(pki: &Pki) -> FakeMpns {
    let tls = TlsConfig::new(
        pki.server.cert_pem(),
        pki.server.key.private_key_to_pem_pkcs8().unwrap(),
    )
    .client_ca(pki.ca.cert_pem());
    FakeMpns::builder().tls(tls).start().await
}

#[tokio::test]
async fn authenticated_channels_get_https_uris_and_need_the_service_names_certificate() {
    let pki = pki();
    let fake = tls_fake(&pki).await;
    let tls_uri = fake.tls_uri().expect("an https listener").to_owned();
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        ch.uri
            .starts_with(&format!("{tls_uri}/unthrottledthirdparty/01.00/")),
        "{}",
        ch.uri
    );
    let plain = fake.create_channel(ChannelOptions::default()).unwrap();
    assert!(
        plain.uri.starts_with(fake.uri()),
        "unauthenticated stays on http"
    );

    let ok = send(toast(&https_client(&pki, Some(&pki.client)), &ch.uri, 2)).await;
    assert_eq!(ok.row(), (200, "Received", "Connected", "Active"));

    let other = send(toast(
        &https_client(&pki, Some(&pki.other_client)),
        &ch.uri,
        2,
    ))
    .await;
    assert_eq!(other.row(), (401, "", "", ""), "CN of another service");

    let rogue = send(toast(&https_client(&pki, Some(&pki.rogue)), &ch.uri, 2)).await;
    assert_eq!(
        rogue.status, 401,
        "right CN, but not issued by the client CA"
    );

    let none = send(toast(&https_client(&pki, None), &ch.uri, 2)).await;
    assert_eq!(none.status, 401, "no client certificate");

    let over_http = ch.uri.replace(&tls_uri, fake.uri());
    assert_eq!(send(toast(&client(), &over_http, 2)).await.status, 401);
}

#[tokio::test]
async fn an_authenticated_channel_has_no_daily_limit_and_takes_callbacks_over_tls() {
    let pki = pki();
    let fake = FakeMpns::builder()
        .daily_limit(1)
        .tls(
            TlsConfig::new(
                pki.server.cert_pem(),
                pki.server.key.private_key_to_pem_pkcs8().unwrap(),
            )
            .client_ca(pki.ca.cert_pem()),
        )
        .start()
        .await;
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            ..Default::default()
        })
        .unwrap();
    let c = https_client(&pki, Some(&pki.client));
    for _ in 0..3 {
        assert_eq!(send(raw(&c, &ch.uri, 3, "x")).await.status, 200);
    }
    let r = send(
        c.post(format!("{}/callback", ch.uri))
            .header("X-CallbackURI", "http://127.0.0.1:9/cb")
            .body("blob"),
    )
    .await;
    assert_eq!(r.status, 200);
    let stranger = https_client(&pki, Some(&pki.other_client));
    let r = send(
        stranger
            .post(format!("{}/callback", ch.uri))
            .header("X-CallbackURI", "http://127.0.0.1:9/cb")
            .body("blob"),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_key_that_does_not_match_the_certificate_is_a_clear_start_error() {
    let pki = pki();
    let err = FakeMpns::builder()
        .tls(TlsConfig::new(
            pki.server.cert_pem(),
            pki.client.key.private_key_to_pem_pkcs8().unwrap(),
        ))
        .try_start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match the certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn a_public_tls_uri_is_the_base_of_authenticated_channel_uris_and_the_fake_answers_them() {
    let pki = pki();
    let tls = TlsConfig::new(
        pki.server.cert_pem(),
        pki.server.key.private_key_to_pem_pkcs8().unwrap(),
    )
    .client_ca(pki.ca.cert_pem());
    let fake = FakeMpns::builder()
        .tls(tls)
        .public_uri("http://fake.example:8080")
        .public_tls_uri("https://fake.example:8443")
        .start()
        .await;
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            token: Some("bank".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        ch.uri,
        "https://fake.example:8443/unthrottledthirdparty/01.00/bank"
    );
    let plain = fake.create_channel(ChannelOptions::default()).unwrap();
    assert!(
        plain.uri.starts_with("http://fake.example:8080/"),
        "{}",
        plain.uri
    );
    // Through the bound https address, as a forwarded connection would arrive.
    let reached = ch
        .uri
        .replace("https://fake.example:8443", fake.tls_uri().unwrap());
    let ok = send(toast(&https_client(&pki, Some(&pki.client)), &reached, 2)).await;
    assert_eq!(ok.row(), (200, "Received", "Connected", "Active"));
    for bad in ["http://fake.example:8443", "fake.example:8443"] {
        let err = FakeMpns::builder()
            .tls(TlsConfig::new(
                pki.server.cert_pem(),
                pki.server.key.private_key_to_pem_pkcs8().unwrap(),
            ))
            .public_tls_uri(bad)
            .try_start()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("must start with https://"), "{bad}: {err}");
    }
}
