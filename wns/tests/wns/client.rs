//! The client against a mock token endpoint and a mock channel on loopback: tokens cached,
//! refreshed before expiry and once per 401 however many sends wait; channels checked before
//! any I/O; bulk sends backing off as WNS asks, on the test's clock.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use wns::{
    Action, ChannelUri, Client, Credentials, Match, NotificationStatus, Options, RetryPolicy,
    SendError, Toast,
};

use crate::support::TestClock;

/// Token answers numbered `tok-1`, `tok-2`, ... valid for `lifetime` seconds.
struct Tokens {
    lifetime: u64,
    issued: std::sync::atomic::AtomicU64,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "bearer",
            "access_token": format!("tok-{n}"),
            "expires_in": self.lifetime,
        }))
    }
}

/// A mock server with a token endpoint; channels are `/?token=...` on it.
async fn wns(lifetime: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(Tokens {
            lifetime,
            issued: Default::default(),
        })
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, clock: &TestClock) -> Client {
    let creds = Credentials::store("ms-app://s-1-15-2-7", "s3cret")
        .with_token_url(format!("{}/token", server.uri()));
    Client::builder(creds)
        .clock(Arc::new(clock.clone()))
        .allow_host(server.address().to_string())
        .retry_policy(RetryPolicy {
            max_retries: 2,
            first_backoff: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
        })
        .build()
        .unwrap()
}

fn channel(server: &MockServer, token: &str) -> ChannelUri {
    format!("{}/?token={token}", server.uri()).parse().unwrap()
}

async fn received(server: &MockServer, path_: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == path_)
        .collect()
}

fn accept() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("X-WNS-Status", "received")
        .insert_header("X-WNS-Msg-ID", "73B9D5431ABF0590")
}

#[tokio::test]
async fn the_store_flow_posts_the_form_and_the_token_is_reused_across_sends() {
    let server = wns(86400).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", "Bearer tok-1"))
        .and(header("x-wns-type", "wns/toast"))
        .and(header("content-type", "text/xml"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let toast = Toast::new().text("Hi").build().unwrap();
    for i in 0..5 {
        let o = client
            .send(&channel(&server, &format!("c{i}")), &toast)
            .await
            .unwrap();
        assert_eq!(o.notification_status(), Some(&NotificationStatus::Received));
        assert_eq!(o.message_id.as_deref(), Some("73B9D5431ABF0590"));
    }
    let tokens = received(&server, "/token").await;
    assert_eq!(tokens.len(), 1, "one token for five sends");
    let form = String::from_utf8(tokens[0].body.clone()).unwrap();
    assert_eq!(form, "grant_type=client_credentials&client_id=ms-app%3A%2F%2Fs-1-15-2-7&client_secret=s3cret&scope=notify.windows.com");
    assert_eq!(
        tokens[0].headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(client.token_fetches(), 1);
}

#[tokio::test]
async fn the_entra_flow_asks_for_the_wns_default_scope() {
    let server = wns(3600).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let creds = Credentials::entra(
        "contoso.onmicrosoft.com",
        "11111111-2222-3333-4444-555555555555",
        "s",
    )
    .unwrap()
    .with_token_url(format!("{}/token", server.uri()));
    let client = Client::builder(creds)
        .allow_host(server.address().to_string())
        .build()
        .unwrap();
    client
        .send(
            &channel(&server, "x"),
            &Toast::new().text("Hi").build().unwrap(),
        )
        .await
        .unwrap();
    let form = String::from_utf8(received(&server, "/token").await[0].body.clone()).unwrap();
    assert!(
        form.ends_with("&scope=https%3A%2F%2Fwns.windows.com%2F.default"),
        "{form}"
    );
}

#[tokio::test]
async fn a_401_is_answered_by_one_refresh_and_one_resend() {
    let server = wns(86400).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer error=\"invalid_request\",error_description=\"Token expired\"",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let o = client
        .send(
            &channel(&server, "a"),
            &Toast::new().text("Hi").build().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(o.status, 200);
    assert_eq!(received(&server, "/token").await.len(), 2);
    assert_eq!(
        received(&server, "/").await.len(),
        2,
        "the first send and one resend"
    );
}

#[tokio::test]
async fn a_401_to_the_new_token_too_is_returned_not_retried_forever() {
    let server = wns(86400).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let o = client
        .send(
            &channel(&server, "a"),
            &Toast::new().text("Hi").build().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(o.action(), Action::RefreshToken);
    assert_eq!(received(&server, "/").await.len(), 2);
    assert_eq!(received(&server, "/token").await.len(), 2);
}

#[tokio::test]
async fn hundreds_of_concurrent_401s_cause_one_refresh() {
    let server = wns(86400).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    // Fetch tok-1 first, so that all 300 sends carry it and all get the 401.
    let toast = Toast::new().text("Hi").build().unwrap();
    let first = client
        .send(&channel(&server, "warm"), &toast)
        .await
        .unwrap();
    assert_eq!(first.status, 200, "the warm-up send was resent with tok-2");
    let sends = (0..300).map(|i| {
        let client = client.clone();
        let toast = toast.clone();
        let ch = channel(&server, &format!("c{i}"));
        async move { client.send(&ch, &toast).await.unwrap().status }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 200));
    assert_eq!(
        received(&server, "/token").await.len(),
        2,
        "tok-1, then one refresh for all"
    );
}

#[tokio::test]
async fn a_token_is_replaced_once_before_it_expires_however_many_sends_wait() {
    let server = wns(3600).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let toast = Toast::new().text("Hi").build().unwrap();
    for expiry in 1..=3u64 {
        let sends = (0..200).map(|i| {
            let client = client.clone();
            let toast = toast.clone();
            let ch = channel(&server, &format!("c{i}"));
            async move { client.send(&ch, &toast).await.unwrap() }
        });
        futures_util::future::join_all(sends).await;
        assert_eq!(client.token_fetches(), expiry, "one token per lifetime");
        // A 3,600 s token is replaced 300 s before it expires (the 5-minute margin, under a tenth of
        // its lifetime).
        clock.advance(Duration::from_secs(3600 - 300));
    }
    let auths: std::collections::BTreeSet<String> = received(&server, "/")
        .await
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        auths.into_iter().collect::<Vec<_>>(),
        ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
    );
}

#[tokio::test]
async fn channels_off_notify_windows_com_are_refused_before_any_io() {
    let server = wns(86400).await;
    let clock = TestClock::new();
    let creds =
        Credentials::store("ms-app://s", "s").with_token_url(format!("{}/token", server.uri()));
    let strict = Client::builder(creds)
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    let toast = Toast::new().text("Hi").build().unwrap();
    for uri in [
        channel(&server, "a").to_string(),
        "http://db5.notify.windows.com/?token=a".to_owned(),
        "https://db5.notify.windows.com.evil.example/?token=a".to_owned(),
    ] {
        let err = strict
            .send(&uri.parse().unwrap(), &toast)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SendError::ChannelNotAllowed { .. }),
            "{uri}: {err}"
        );
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "not even a token was asked for"
    );
}

#[tokio::test]
async fn suppress_popup_and_delete_are_for_windows_phone_channels_only() {
    let server = wns(86400).await;
    Mock::given(method("DELETE"))
        .and(path("/"))
        .and(header("x-wns-match", "type:wns/toast;tag=t1"))
        .respond_with(accept())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("x-wns-suppresspopup", "true"))
        .respond_with(accept())
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let quiet = Toast::new()
        .text("Hi")
        .build()
        .unwrap()
        .with_options(Options::new().suppress_popup())
        .unwrap();
    let desktop = channel(&server, "pc");
    assert_eq!(
        client.send(&desktop, &quiet).await.unwrap_err(),
        SendError::PhoneOnly("X-WNS-SuppressPopup")
    );
    assert!(matches!(
        client.delete(&desktop, &Match::All).await,
        Err(SendError::PhoneOnly(_))
    ));
    let phone = channel(&server, "wp").windows_phone();
    assert_eq!(client.send(&phone, &quiet).await.unwrap().status, 200);
    assert_eq!(
        client
            .delete(&phone, &Match::Tag("t1".into()))
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        received(&server, "/").await.len(),
        2,
        "only the phone's two requests went out"
    );
}

#[tokio::test]
async fn a_bulk_send_backs_off_as_retry_after_says_on_the_clock() {
    let server = wns(86400).await;
    // The first request to each channel is throttled with Retry-After: 900; then it is taken.
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(406).insert_header("Retry-After", "900"))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(accept())
        .with_priority(2)
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let client = client(&server, &clock);
    let toast = Toast::new().text("Hi").build().unwrap();
    let channels: Vec<ChannelUri> = (0..3).map(|i| channel(&server, &format!("c{i}"))).collect();
    let mut results = client.send_bulk(&toast, channels);
    let mut done = Vec::new();
    let drive = async {
        while let Some(r) = results.next().await {
            done.push(r);
        }
    };
    let advance = async {
        clock.wait_for_sleepers(3).await;
        // 899 s: nobody may go yet.
        clock.advance(Duration::from_secs(899));
        assert_eq!(received(&server, "/").await.len(), 3);
        clock.advance(Duration::from_secs(1));
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join(drive, advance),
    )
    .await
    .expect("within 10 s");
    assert_eq!(done.len(), 3);
    for r in &done {
        assert_eq!(r.attempts, 2);
        assert!(r.result.as_ref().unwrap().is_received());
    }
    assert_eq!(received(&server, "/").await.len(), 6);
}

#[tokio::test]
async fn a_token_endpoint_refusal_is_an_auth_error_with_the_oauth_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("client_secret=wrong"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"error":"invalid_client","error_description":"Invalid client id"}"#,
        ))
        .mount(&server)
        .await;
    let creds =
        Credentials::store("ms-app://s", "wrong").with_token_url(format!("{}/token", server.uri()));
    let client = Client::builder(creds)
        .allow_host(server.address().to_string())
        .build()
        .unwrap();
    let err = client
        .send(
            &channel(&server, "a"),
            &Toast::new().text("Hi").build().unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the token endpoint answered 400: invalid_client (Invalid client id)"
    );
    assert_eq!(
        received(&server, "/").await.len(),
        0,
        "nothing sent without a token"
    );
}
