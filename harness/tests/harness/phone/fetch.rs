//! Downloading remote tile images over real HTTP with the phone's limits: 80 KB, 15 s on the
//! injected clock, 2xx, an image content type, a PNG or JPEG body.

use crate::support::client::client;
use crate::support::images::{png, ImageServer};
use crate::support::wait::within;
use mpns_harness::phone::{
    fetch_image, fetch_image_with, FetchError, FetchLimits, IMAGE_TIMEOUT, MAX_IMAGE_BYTES,
};
use mpns_harness::Clock;
use std::time::Duration;

const KB: usize = 1024;

async fn server() -> (ImageServer, Clock) {
    let clock = Clock::virtual_clock();
    (ImageServer::start(clock.clone()).await, clock)
}

#[tokio::test]
async fn small_png_is_returned_whole() {
    let (srv, clock) = server().await;
    let bytes = fetch_image(&client(), &clock, &srv.url("/png/2000"))
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), png(2000).as_slice());
    assert_eq!(srv.hits(), 1);
}

#[tokio::test]
async fn jpeg_octet_stream_and_untyped_answers_are_accepted() {
    let (srv, clock) = server().await;
    let http = client();
    for path in ["/jpeg/3000", "/octet/3000", "/untyped/3000"] {
        let bytes = fetch_image(&http, &clock, &srv.url(path))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(bytes.len(), 3000, "{path}");
    }
}

#[tokio::test]
async fn image_of_exactly_80_kb_is_accepted_with_or_without_content_length() {
    let (srv, clock) = server().await;
    let http = client();
    for path in ["/png/81920", "/chunked/81920"] {
        let bytes = fetch_image(&http, &clock, &srv.url(path))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(bytes.len() as u64, MAX_IMAGE_BYTES, "{path}");
    }
}

#[tokio::test]
async fn image_over_80_kb_by_content_length_is_refused_naming_host_size_and_limit() {
    let (srv, clock) = server().await;
    let err = fetch_image(&client(), &clock, &srv.url(&format!("/png/{}", 90 * KB)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::TooLarge {
            host: srv.host(),
            bytes: 90 * 1024,
            declared: true,
            limit: 80 * 1024,
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Image from {} is 92160 bytes (90 KB) by its Content-Length, over the 80 KB limit; not downloaded.",
            srv.host()
        )
    );
}

#[tokio::test]
async fn one_byte_over_80_kb_is_refused() {
    let (srv, clock) = server().await;
    let http = client();
    for path in ["/png/81921", "/chunked/81921"] {
        let err = fetch_image(&http, &clock, &srv.url(path))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::TooLarge {
                    bytes: 81921,
                    limit: 81920,
                    ..
                }
            ),
            "{path}: {err:?}"
        );
    }
}

#[tokio::test]
async fn image_over_80_kb_without_content_length_is_refused_while_streaming() {
    let (srv, clock) = server().await;
    let err = fetch_image(
        &client(),
        &clock,
        &srv.url(&format!("/chunked/{}", 200 * KB)),
    )
    .await
    .unwrap_err();
    let FetchError::TooLarge {
        host,
        bytes,
        declared,
        limit,
    } = &err
    else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert_eq!(host, &srv.host());
    assert!(!declared);
    assert_eq!(*limit, 80 * 1024);
    assert!(
        *bytes > 80 * 1024 && *bytes <= 84 * 1024,
        "stopped at {bytes}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&srv.host()) && text.contains("passed the 80 KB limit while downloading"),
        "{text}"
    );
}

#[tokio::test]
async fn endless_body_is_cut_off_just_past_the_limit() {
    let (srv, clock) = server().await;
    let err = fetch_image(&client(), &clock, &srv.url("/endless"))
        .await
        .unwrap_err();
    match err {
        FetchError::TooLarge {
            bytes,
            declared: false,
            ..
        } => assert!(bytes <= 80 * 1024 + 64 * 1024, "read {bytes} bytes"),
        other => panic!("expected TooLarge while streaming, got {other:?}"),
    }
}

#[tokio::test]
async fn smaller_limit_is_honoured() {
    let (srv, clock) = server().await;
    let limits = FetchLimits {
        max_bytes: 1000,
        ..FetchLimits::default()
    };
    let http = client();
    assert!(
        fetch_image_with(&http, &clock, &srv.url("/png/1000"), limits)
            .await
            .is_ok()
    );
    let err = fetch_image_with(&http, &clock, &srv.url("/png/1001"), limits)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("over the 1000 bytes limit"),
        "{err}"
    );
}

#[tokio::test]
async fn held_answer_times_out_when_the_virtual_clock_passes_15_s() {
    let (srv, clock) = server().await;
    let (http, url, c) = (client(), srv.url("/hold"), clock.clone());
    let fetch = tokio::spawn(async move { fetch_image(&http, &c, &url).await });
    srv.wait_for_hits(1).await;
    clock.advance(Duration::from_secs(14));
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!fetch.is_finished(), "timed out before 15 s");
    clock.advance(Duration::from_secs(1));
    let err = within("the held download to time out", fetch)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Timeout {
            host: srv.host(),
            limit: IMAGE_TIMEOUT
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Image from {} did not arrive within the 15 s limit; download abandoned.",
            srv.host()
        )
    );
}

#[tokio::test]
async fn answer_after_10_virtual_seconds_is_in_time() {
    let (srv, clock) = server().await;
    let (http, url, c) = (client(), srv.url("/slow/10/500"), clock.clone());
    let fetch = tokio::spawn(async move { fetch_image(&http, &c, &url).await });
    srv.wait_for_hits(1).await;
    clock.advance(Duration::from_secs(10));
    let bytes = within("the download", fetch).await.unwrap().unwrap();
    assert_eq!(bytes.len(), 500);
}

#[tokio::test]
async fn answer_after_16_virtual_seconds_is_too_late() {
    let (srv, clock) = server().await;
    let (http, url, c) = (client(), srv.url("/slow/16/500"), clock.clone());
    let fetch = tokio::spawn(async move { fetch_image(&http, &c, &url).await });
    srv.wait_for_hits(1).await;
    clock.advance(Duration::from_secs(15));
    let err = within("the late download to time out", fetch)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.rule(), "timeout", "{err}");
}

#[tokio::test]
async fn held_answer_times_out_on_a_real_clock_with_a_short_limit() {
    let (srv, _) = server().await;
    let clock = Clock::real();
    let limits = FetchLimits {
        timeout: Duration::from_millis(50),
        ..FetchLimits::default()
    };
    let started = std::time::Instant::now();
    let err = fetch_image_with(&client(), &clock, &srv.url("/hold"), limits)
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(
        err,
        FetchError::Timeout {
            host: srv.host(),
            limit: Duration::from_millis(50)
        }
    );
    assert!(err.to_string().contains("within the 50 ms limit"), "{err}");
}

#[tokio::test]
async fn error_statuses_are_refused_with_their_code() {
    let (srv, clock) = server().await;
    let http = client();
    for code in [404u16, 500, 503] {
        let err = fetch_image(&http, &clock, &srv.url(&format!("/status/{code}")))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            FetchError::Status {
                host: srv.host(),
                status: code
            }
        );
        assert!(err.to_string().contains(&format!("status {code}")), "{err}");
    }
}

#[tokio::test]
async fn html_and_text_answers_are_not_images() {
    let (srv, clock) = server().await;
    let http = client();
    let err = fetch_image(&http, &clock, &srv.url("/html"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::NotAnImage {
            host: srv.host(),
            content_type: "text/html; charset=utf-8".into()
        }
    );
    let err = fetch_image(&http, &clock, &srv.url("/text-png/100"))
        .await
        .unwrap_err();
    assert_eq!(err.rule(), "not an image", "{err}");
}

#[tokio::test]
async fn gif_and_empty_bodies_are_neither_png_nor_jpeg() {
    let (srv, clock) = server().await;
    let http = client();
    let err = fetch_image(&http, &clock, &srv.url("/gif"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Image from {} is neither a PNG nor a JPEG (it starts with 47 49 46 38 39 61 01 00); a tile image must be one of them.",
            srv.host()
        )
    );
    let err = fetch_image(&http, &clock, &srv.url("/empty"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::NotPngOrJpeg {
            host: srv.host(),
            first_bytes: vec![]
        }
    );
}

#[tokio::test]
async fn refused_connection_is_a_transport_error_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = fetch_image(
        &client(),
        &Clock::virtual_clock(),
        &format!("http://{addr}/a.png"),
    )
    .await
    .unwrap_err();
    match &err {
        FetchError::Transport { host, .. } => {
            assert_eq!(host, &addr.to_string());
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("Image from {addr} could not be downloaded: ")),
                "{text}"
            );
        }
        other => panic!("expected Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn urls_that_are_not_absolute_http_are_refused_without_a_request() {
    let (srv, clock) = server().await;
    let http = client();
    for url in [
        "/Images/a.png",
        "isostore:/Shared/ShellContent/a.png",
        "ftp://127.0.0.1/a.png",
    ] {
        let err = fetch_image(&http, &clock, url).await.unwrap_err();
        assert_eq!(err.rule(), "bad url", "{url}: {err}");
        assert!(err.to_string().contains(url), "{err}");
    }
    assert_eq!(srv.hits(), 0);
}
