//! The fake WNS over real HTTP, driven by a plain HTTP client (not the `wns` crate: the harness
//! and the senders share nothing): both token flows, every row of the answer table, header
//! profiles, throttling, the offline cache, DELETE, faults, records and the control API.

use std::time::Duration;

use mpns_harness::fake_wns::{
    AppCredentials, ChannelRequest, Connection, Flow, HeaderProfile, Platform, Settings,
    ThrottleAnswer, WnsChannel, WnsFault,
};
use mpns_harness::windows::{AppState, WindowsVersion};
use mpns_harness::FakeWns;
use reqwest::header::HeaderMap;

use crate::support::client::{client, json};

const APP: &str = "contoso.chat";
const FORM: &str = "application/x-www-form-urlencoded";

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
const PC: &str = "ann-pc";
const TOAST: &str = r#"<toast><visual><binding template="ToastGeneric"><text>Ann</text><text>Lunch?</text></binding></visual></toast>"#;

struct Setup {
    fake: FakeWns,
    app: AppCredentials,
    channel: WnsChannel,
}

async fn setup() -> Setup {
    let fake = FakeWns::builder().seed(7).start().await.unwrap();
    let app = fake.register_app(APP, Flow::Store).unwrap();
    fake.add_device(PC, WindowsVersion::Windows11).unwrap();
    let channel = fake.create_channel(&ChannelRequest::new(APP, PC)).unwrap();
    Setup { fake, app, channel }
}

/// A client-credentials token request for `app` to `url` through `http`, with `param`
/// (`scope` or `resource`).
fn token_request(
    http: &reqwest::Client,
    url: &str,
    app: &AppCredentials,
    param: (&str, &str),
) -> reqwest::RequestBuilder {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        param,
    ];
    http.post(url)
        .header("Content-Type", FORM)
        .body(encode(&form))
}

async fn token(app: &AppCredentials, scope: &str) -> reqwest::Response {
    token_request(&client(), &app.token_url, app, ("scope", scope))
        .send()
        .await
        .unwrap()
}

async fn bearer(app: &AppCredentials) -> String {
    let answer: serde_json::Value = token(app, "notify.windows.com").await.json().await.unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// Posts `body` as `kind` with the given extra headers; answers (status, headers).
async fn send(
    uri: &str,
    bearer: &str,
    kind: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> (u16, HeaderMap) {
    let content_type = if kind == "wns/raw" {
        "application/octet-stream"
    } else {
        "text/xml"
    };
    let mut req = client()
        .post(uri)
        .header("Authorization", format!("Bearer {bearer}"))
        .header("Content-Type", content_type)
        .header("X-WNS-Type", kind)
        .body(body.to_owned());
    for (n, v) in extra {
        req = req.header(*n, *v);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.headers().clone())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_store_flow_issues_a_bearer_token_with_a_numeric_lifetime_and_refuses_bad_credentials()
{
    let s = setup().await;
    let ok = token(&s.app, "notify.windows.com").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(h(ok.headers(), "cache-control"), Some("no-store"));
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86400);
    assert!(body["access_token"].as_str().unwrap().starts_with("Eg"));
    let wrong_scope = token(&s.app, "s.notify.live.net").await;
    assert_eq!(wrong_scope.status(), 400);
    let bad = AppCredentials {
        client_secret: "nope".into(),
        ..s.app.clone()
    };
    let refused = token(&bad, "notify.windows.com").await;
    assert_eq!(refused.status(), 400);
    let e: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        (e["error"].as_str(), e["error_description"].as_str()),
        (Some("invalid_client"), Some("Invalid client secret"))
    );
}

#[tokio::test]
async fn the_entra_flow_gives_its_lifetime_as_a_string_and_takes_scope_or_resource() {
    let fake = FakeWns::start().await;
    let app = fake
        .register_app(
            "contoso.desktop",
            Flow::Entra {
                tenant: "contoso.onmicrosoft.com".into(),
            },
        )
        .unwrap();
    assert!(app
        .token_url
        .ends_with("/contoso.onmicrosoft.com/oauth2/v2.0/token"));
    let body: serde_json::Value = token(&app, "https://wns.windows.com/.default")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "86399");
    assert_eq!(
        token_request(
            &client(),
            &app.token_url,
            &app,
            ("resource", "https://wns.windows.com/")
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    // The Store endpoint does not know an Entra app.
    let store = format!("{}/accesstoken.srf", fake.url());
    assert_eq!(
        token_request(&client(), &store, &app, ("scope", "notify.windows.com"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn a_toast_is_received_with_both_status_headers_and_the_envelope_and_shows_on_the_device() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    let (status, headers) = send(
        &s.channel.uri,
        &t,
        "wns/toast",
        TOAST,
        &[("MS-CV", "abc.1"), ("X-WNS-RequestForStatus", "true")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "x-wns-status"), Some("received"));
    assert_eq!(h(&headers, "x-wns-notificationstatus"), Some("received"));
    assert_eq!(
        h(&headers, "x-wns-deviceconnectionstatus"),
        Some("connected")
    );
    assert_eq!(h(&headers, "ms-cv"), Some("abc.1"));
    let id = h(&headers, "x-wns-msg-id").unwrap();
    assert!(
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
        "{id}"
    );
    assert!(h(&headers, "x-wns-debug-trace").is_some());
    assert_eq!(h(&headers, "content-length"), Some("0"));
    let text = s.fake.device(PC, |d, _| d.render_text()).unwrap();
    assert!(
        text.contains("Banner: [contoso.chat] Ann — Lunch?"),
        "{text}"
    );
    let rec = s.fake.records().pop().unwrap();
    assert_eq!(
        (rec.status, rec.channel, rec.lint.len()),
        (200, Some(s.channel.id), 0)
    );
}

#[tokio::test]
async fn tokens_are_checked_missing_unknown_expired_and_of_another_app() {
    let s = setup().await;
    let (status, headers) = send(&s.channel.uri, "made-up", "wns/toast", TOAST, &[]).await;
    assert_eq!(status, 401);
    assert!(h(&headers, "www-authenticate")
        .unwrap()
        .contains("Invalid token"));
    let t = bearer(&s.app).await;
    s.fake.clock().advance(Duration::from_secs(86_400));
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!(status, 401);
    assert!(h(&headers, "www-authenticate")
        .unwrap()
        .contains("Token expired"));
    let other = s.fake.register_app("fabrikam.news", Flow::Store).unwrap();
    let (status, headers) = send(
        &s.channel.uri,
        &bearer(&other).await,
        "wns/toast",
        TOAST,
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        h(&headers, "x-wns-error-description"),
        Some("Channel URL incompatible with caller app")
    );
}

#[tokio::test]
async fn unknown_re_encoded_and_expired_channels_get_404_and_410() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    let unknown = format!("{}/?token=AwYAAAB{}", s.fake.url(), "x".repeat(20));
    assert_eq!(send(&unknown, &t, "wns/toast", TOAST, &[]).await.0, 404);
    // A sender that decodes the URI (%2b to +) no longer names the channel.
    assert!(s.channel.uri.contains("%2b"));
    let decoded = s.channel.uri.replace("%2b", "+");
    assert_eq!(send(&decoded, &t, "wns/toast", TOAST, &[]).await.0, 404);
    s.fake.clock().advance(Duration::from_secs(30 * 24 * 3600));
    let t = bearer(&s.app).await;
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        410
    );
}

#[tokio::test]
async fn bad_requests_get_400_411_or_413_with_a_description() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    let uri = &s.channel.uri;
    let raw_as_xml = client()
        .post(uri)
        .header("Authorization", format!("Bearer {t}"))
        .header("Content-Type", "text/xml")
        .header("X-WNS-Type", "wns/raw")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(raw_as_xml.status(), 400);
    assert_eq!(
        h(raw_as_xml.headers(), "x-wns-error-description"),
        Some("Content-Type should be application/octet-stream")
    );
    assert_eq!(send(uri, &t, "wns/bogus", TOAST, &[]).await.0, 400);
    assert_eq!(
        send(
            uri,
            &t,
            "wns/toast",
            TOAST,
            &[("X-WNS-Tag", "seventeen-chars!!")]
        )
        .await
        .0,
        400
    );
    assert_eq!(
        send(uri, &t, "wns/toast", TOAST, &[("X-WNS-PRIORITY", "5")])
            .await
            .0,
        400
    );
    let (status, headers) = send(
        uri,
        &t,
        "wns/toast",
        TOAST,
        &[("X-WNS-SuppressPopup", "true")],
    )
    .await;
    assert_eq!(
        (status, h(&headers, "x-wns-status")),
        (400, Some("dropped"))
    );
    assert_eq!(
        send(uri, &t, "wns/raw", &"x".repeat(5000), &[]).await.0,
        200
    );
    assert_eq!(
        send(uri, &t, "wns/raw", &"x".repeat(5001), &[]).await.0,
        413
    );
    // 5,000 bytes is counted in bytes: 2,501 two-byte characters are too many.
    assert_eq!(
        send(uri, &t, "wns/raw", &"é".repeat(2501), &[]).await.0,
        413
    );
    // A chunked body, written by hand on a socket.
    let path = uri.split_once(s.fake.url()).unwrap().1.to_owned();
    let mut sock = tokio::net::TcpStream::connect(s.fake.addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/octet-stream\r\nX-WNS-Type: wns/raw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut sock, request.as_bytes())
        .await
        .unwrap();
    let mut answer = String::new();
    crate::support::wait::within(
        "the answer to a chunked request",
        tokio::io::AsyncReadExt::read_to_string(&mut sock, &mut answer),
    )
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-wns-error-description: chunked"),
        "{answer}"
    );
}

#[tokio::test]
async fn an_app_over_its_limit_gets_406_as_documented_or_429_as_observed_and_a_channel_gets_channelthrottled(
) {
    let s = setup().await;
    let t = bearer(&s.app).await;
    s.fake
        .set_settings(Settings {
            app_limit_per_minute: Some(2),
            retry_after_secs: 900,
            ..Settings::default()
        })
        .unwrap();
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        200
    );
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        200
    );
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!((status, h(&headers, "retry-after")), (406, Some("900")));
    // Switched at run time through the control API.
    let patched = client()
        .patch(format!("{}/_fake/settings", s.fake.url()))
        .json(&serde_json::json!({"throttle_answer": "observed429"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(
        s.fake.settings().throttle_answer,
        ThrottleAnswer::Observed429
    );
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!(status, 429);
    assert!(h(&headers, "x-wns-error-description")
        .unwrap()
        .starts_with("App is throttled"));
    s.fake.clock().advance(Duration::from_secs(60));
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        200,
        "a minute later the window is free"
    );
    s.fake
        .set_settings(Settings {
            channel_limit_per_minute: Some(1),
            ..Settings::default()
        })
        .unwrap();
    s.fake.clock().advance(Duration::from_secs(60));
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        200
    );
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!(
        (status, h(&headers, "x-wns-status")),
        (200, Some("channelthrottled"))
    );
    s.fake
        .set_settings(Settings {
            domain_blocked: true,
            ..Settings::default()
        })
        .unwrap();
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!(
        (status, h(&headers, "x-wns-error-description")),
        (410, Some("Domain Blocked"))
    );
    s.fake
        .set_settings(Settings {
            monthly_quota: Some(1),
            ..Settings::default()
        })
        .unwrap();
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!(
        (status, h(&headers, "x-wns-error-description")),
        (429, Some("Monthly Quota Exceeded"))
    );
}

#[tokio::test]
async fn header_profiles_send_one_status_header_or_both() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    for (profile, status, twin) in [
        (HeaderProfile::Both, true, true),
        (HeaderProfile::Documented, true, false),
        (HeaderProfile::Legacy, false, true),
    ] {
        s.fake
            .set_settings(Settings {
                header_profile: profile,
                ..Settings::default()
            })
            .unwrap();
        let (_, headers) = send(
            &s.channel.uri,
            &t,
            "wns/badge",
            r#"<badge value="1"/>"#,
            &[],
        )
        .await;
        assert_eq!(h(&headers, "x-wns-status").is_some(), status, "{profile:?}");
        assert_eq!(
            h(&headers, "x-wns-notificationstatus").is_some(),
            twin,
            "{profile:?}"
        );
    }
}

#[tokio::test]
async fn an_offline_device_gets_the_latest_toast_and_badge_and_a_raw_only_if_cached_on_its_return()
{
    let s = setup().await;
    let t = bearer(&s.app).await;
    s.fake
        .device(PC, |d, _| d.set_background_task(APP, true))
        .unwrap();
    s.fake
        .set_connection(s.channel.id, Connection::Disconnected)
        .unwrap();
    let toast = |title: &str| TOAST.replace("Ann", title);
    for body in [toast("first"), toast("second")] {
        assert_eq!(
            send(&s.channel.uri, &t, "wns/toast", &body, &[]).await.0,
            200
        );
    }
    send(
        &s.channel.uri,
        &t,
        "wns/badge",
        r#"<badge value="2"/>"#,
        &[],
    )
    .await;
    send(
        &s.channel.uri,
        &t,
        "wns/badge",
        r#"<badge value="5"/>"#,
        &[],
    )
    .await;
    let (_, headers) = send(&s.channel.uri, &t, "wns/raw", "not cached", &[]).await;
    assert_eq!(
        h(&headers, "x-wns-status"),
        Some("dropped"),
        "a raw without cache is not kept"
    );
    send(
        &s.channel.uri,
        &t,
        "wns/raw",
        "cached",
        &[("X-WNS-Cache-Policy", "cache")],
    )
    .await;
    let (_, headers) = send(
        &s.channel.uri,
        &t,
        "wns/raw",
        "ask",
        &[("X-WNS-RequestForStatus", "true")],
    )
    .await;
    assert_eq!(
        h(&headers, "x-wns-deviceconnectionstatus"),
        Some("disconnected")
    );
    assert_eq!(s.fake.channel(s.channel.id).unwrap().cached, 3);
    let delivered = s
        .fake
        .set_connection(s.channel.id, Connection::Connected)
        .unwrap();
    assert_eq!(delivered.len(), 3);
    let (titles, badge, raw) = s
        .fake
        .device(PC, |d, _| {
            (
                d.notification_center()
                    .iter()
                    .map(|(_, v)| v.texts[0].clone())
                    .collect::<Vec<_>>(),
                d.badge(APP).map(str::to_owned),
                d.raw_received(APP)
                    .1
                    .iter()
                    .map(|b| b.to_vec())
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap();
    assert_eq!(titles, ["second"]);
    assert_eq!(badge.as_deref(), Some("5"));
    assert_eq!(raw, [b"cached".to_vec()]);
}

#[tokio::test]
async fn delete_removes_toasts_on_a_phone_channel_and_is_405_on_a_windows_one() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    let phone = s
        .fake
        .create_channel(&ChannelRequest {
            platform: Platform::WindowsPhone81,
            ..ChannelRequest::new(APP, PC)
        })
        .unwrap();
    send(
        &phone.uri,
        &t,
        "wns/toast",
        TOAST,
        &[("X-WNS-Tag", "t1"), ("X-WNS-Group", "g1")],
    )
    .await;
    send(
        &phone.uri,
        &t,
        "wns/toast",
        TOAST,
        &[("X-WNS-Tag", "t2"), ("X-WNS-Group", "g1")],
    )
    .await;
    let delete = |uri: String, m: &'static str| {
        let t = t.clone();
        async move {
            client()
                .delete(uri)
                .header("Authorization", format!("Bearer {t}"))
                .header("X-WNS-Match", m)
                .header("Content-Length", "0")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        delete(s.channel.uri.clone(), "type:wns/toast;all").await,
        405
    );
    assert_eq!(delete(phone.uri.clone(), "type:wns/toast;bogus").await, 400);
    assert_eq!(
        delete(phone.uri.clone(), "type:wns/toast;group=g1;tag=t1").await,
        200
    );
    assert_eq!(
        s.fake
            .device(PC, |d, _| d.notification_center().len())
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn faults_script_the_next_answers_then_the_fake_answers_normally() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    s.fake
        .add_fault(WnsFault {
            status: 503,
            times: 2,
            channel: Some(s.channel.id),
            retry_after_secs: Some(30),
            description: None,
        })
        .unwrap();
    let (status, headers) = send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await;
    assert_eq!((status, h(&headers, "retry-after")), (503, Some("30")));
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        503
    );
    assert_eq!(
        send(&s.channel.uri, &t, "wns/toast", TOAST, &[]).await.0,
        200
    );
    assert!(s
        .fake
        .add_fault(WnsFault {
            status: 200,
            times: 1,
            channel: None,
            retry_after_secs: None,
            description: None
        })
        .is_err());
}

#[tokio::test]
async fn what_the_device_will_drop_is_accepted_and_linted() {
    let s = setup().await;
    let t = bearer(&s.app).await;
    s.fake
        .device(PC, |d, _| d.set_app_state(APP, AppState::NotRunning))
        .unwrap();
    assert_eq!(
        send(
            &s.channel.uri,
            &t,
            "wns/toast",
            r#"<badge value="1"/>"#,
            &[]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        send(
            &s.channel.uri,
            &t,
            "wns/toast",
            &TOAST.replace(
                "<text>Ann</text>",
                r#"<text>Ann</text><image src="C:\a.png"/>"#
            ),
            &[]
        )
        .await
        .0,
        200
    );
    let records = s.fake.records();
    assert!(
        records[0].lint[0].contains("TypeMismatch"),
        "{:?}",
        records[0].lint
    );
    assert!(records[0]
        .device_outcome
        .as_deref()
        .unwrap()
        .contains("Dropped"));
    assert!(
        records[1].lint.iter().any(|l| l.contains("BadImage")),
        "{:?}",
        records[1].lint
    );
    assert!(s
        .fake
        .device(PC, |d, _| d.notification_center().is_empty())
        .unwrap());
}

mod control;
mod hostile;
mod props;
