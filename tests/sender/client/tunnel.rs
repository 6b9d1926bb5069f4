//! An authenticated channel reached through an HTTP proxy, all the way: the client asks the
//! proxy for a `CONNECT` tunnel to the fake MPNS's https listener, the proxy completes it and
//! copies bytes, and the TLS handshake (with or without a client certificate) and the request
//! run inside the tunnel. The fake then judges the certificate as MPNS did: 200 with the
//! service's certificate, 401 without one.

use mpns::{Action, ChannelUri, Client, Toast};
use mpns_harness::fake::{ChannelInfo, ChannelOptions, TlsConfig};
use mpns_harness::FakeMpns;

use super::tls::{pki, Pki};
use crate::support::proxy::TunnelProxy;

/// The fake MPNS with its https listener (server certificate for 127.0.0.1, client certificates
/// must chain to the test CA), and one authenticated channel of `push.example.com`.
async fn tls_fake(pki: &Pki) -> (FakeMpns, ChannelInfo) {
    let tls = TlsConfig::new(
        pki.server_cert.to_pem().unwrap(),
        pki.server_key.private_key_to_pem_pkcs8().unwrap(),
    )
    .client_ca(pki.ca.to_pem().unwrap());
    let fake = FakeMpns::builder().tls(tls).start().await;
    let channel = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            ..Default::default()
        })
        .unwrap();
    (fake, channel)
}

/// The request line a tunnel to the fake's https listener starts with.
fn connect_line(fake: &FakeMpns) -> String {
    let tls_uri = fake.tls_uri().expect("the fake has an https listener");
    let authority = tls_uri.strip_prefix("https://").unwrap();
    format!("CONNECT {authority} HTTP/1.1")
}

/// A client that trusts the test CA and sends through `proxy`, with the client certificate of
/// `push.example.com` or without one.
fn client_through(proxy: &TunnelProxy, pki: &Pki, with_certificate: bool) -> Client {
    let mut builder = Client::builder()
        .proxy(&proxy.base)
        .add_root_certificate_pem(&pki.ca.to_pem().unwrap());
    if with_certificate {
        builder = builder.client_certificate_pem(
            &pki.client_cert.to_pem().unwrap(),
            &pki.client_key.private_key_to_pem_pkcs8().unwrap(),
        );
    }
    builder.build().unwrap()
}

fn toast() -> mpns::Message {
    Toast::new()
        .text1("Through")
        .text2("the tunnel")
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_https_send_through_a_completed_tunnel_is_accepted_with_the_client_certificate() {
    let pki = pki();
    let (fake, channel) = tls_fake(&pki).await;
    let proxy = TunnelProxy::start().await;
    let client = client_through(&proxy, &pki, true);
    let uri: ChannelUri = channel.uri.parse().unwrap();
    assert!(
        channel.uri.starts_with("https://127.0.0.1:"),
        "{}",
        channel.uri
    );

    let message = toast();
    let outcome = client.send(&uri, &message).await.unwrap();
    assert_eq!(outcome.status, 200, "{outcome:?}");
    assert_eq!(outcome.action(), Action::Delivered);

    assert_eq!(
        proxy.request_lines(),
        [connect_line(&fake)],
        "exactly one CONNECT, to the fake's https listener, and nothing sent to the proxy in clear"
    );
    // The handshake and the request went through the tunnel: more bytes than the body alone
    // went up (the TLS records carry it encrypted, with the headers), and the answer came down.
    assert!(
        proxy.bytes_upstream() > message.body().len() as u64,
        "{} bytes carried up",
        proxy.bytes_upstream()
    );
    assert!(proxy.bytes_downstream() > 0);
    let records = fake.notifications(Some(channel.id)).unwrap();
    assert_eq!(records.len(), 1, "the fake took the one request");
    assert_eq!(records[0].body, message.body());
}

#[tokio::test]
async fn an_https_send_through_a_completed_tunnel_without_a_client_certificate_is_answered_401() {
    let pki = pki();
    let (fake, channel) = tls_fake(&pki).await;
    let proxy = TunnelProxy::start().await;
    let client = client_through(&proxy, &pki, false);
    let uri: ChannelUri = channel.uri.parse().unwrap();

    // The handshake completes (the fake asks for a certificate but does not insist), so the
    // refusal is MPNS's answer inside the tunnel, not a TLS failure.
    let outcome = client.send(&uri, &toast()).await.unwrap();
    assert_eq!(outcome.status, 401, "{outcome:?}");
    assert_eq!(outcome.action(), Action::CheckCredentials);
    assert_eq!(proxy.request_lines(), [connect_line(&fake)]);
    assert!(proxy.bytes_downstream() > 0);
    let records = fake.notifications(Some(channel.id)).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].response.status, 401);
}

#[tokio::test]
async fn a_second_send_reuses_the_tunnel_instead_of_asking_for_another() {
    let pki = pki();
    let (fake, channel) = tls_fake(&pki).await;
    let proxy = TunnelProxy::start().await;
    let client = client_through(&proxy, &pki, true);
    let uri: ChannelUri = channel.uri.parse().unwrap();
    for _ in 0..2 {
        let outcome = client.send(&uri, &toast()).await.unwrap();
        assert_eq!(outcome.action(), Action::Delivered);
    }
    assert_eq!(proxy.request_lines(), [connect_line(&fake)]);
    assert_eq!(fake.notifications(Some(channel.id)).unwrap().len(), 2);
}
