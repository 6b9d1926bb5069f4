//! Every row of the shared response table, answered by a real HTTP server on 127.0.0.1 and read
//! back through the client: the status, the headers and the action survive the wire.

use std::time::Duration;

use mpns::{ChannelUri, Client, Outcome, Toast};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

struct Row {
    line: usize,
    status: u16,
    headers: Vec<(&'static str, String)>,
    action: String,
    min_delay_s: Option<u64>,
}

fn rows() -> Vec<Row> {
    include_str!("../../../fixtures/responses/status-table.csv")
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "line {}", i + 1);
            let headers = [
                ("X-NotificationStatus", f[1]),
                ("X-DeviceConnectionStatus", f[2]),
                ("X-SubscriptionStatus", f[3]),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| (n, v.to_owned()))
            .collect();
            Row {
                line: i + 1,
                status: f[0].parse().unwrap(),
                headers,
                action: f[4].to_owned(),
                min_delay_s: (!f[5].is_empty()).then(|| f[5].parse().unwrap()),
            }
        })
        .collect()
}

#[tokio::test]
async fn every_row_of_the_status_table_survives_a_real_http_round_trip() {
    let server = MockServer::start().await;
    let rows = rows();
    for row in &rows {
        let mut answer = ResponseTemplate::new(row.status);
        for (name, value) in &row.headers {
            answer = answer.insert_header(*name, value.as_str());
        }
        if (300..400).contains(&row.status) {
            // A redirect the client must not follow.
            answer = answer.insert_header("Location", "/elsewhere");
        }
        let echo = move |request: &Request| {
            let mut answer = answer.clone();
            if let Some(id) = request.headers.get("x-messageid") {
                answer = answer.insert_header("X-MessageID", id.clone());
            }
            answer
        };
        Mock::given(method("POST"))
            .and(path(format!("/row/{}", row.line)))
            .respond_with(echo)
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    let client = Client::new();
    for row in &rows {
        let id = Uuid::new_v4();
        let message = Toast::new().text1("row").message_id(id).build().unwrap();
        let channel: ChannelUri = format!("{}/row/{}", server.uri(), row.line)
            .parse()
            .unwrap();
        let outcome = client
            .send(&channel, &message)
            .await
            .unwrap_or_else(|e| panic!("line {}: an answer is never an error: {e}", row.line));
        let expected = Outcome::from_parts(row.status, row.headers.clone());
        assert_eq!(outcome.status, row.status, "line {}", row.line);
        assert_eq!(
            outcome.notification, expected.notification,
            "line {}",
            row.line
        );
        assert_eq!(outcome.device, expected.device, "line {}", row.line);
        assert_eq!(
            outcome.subscription, expected.subscription,
            "line {}",
            row.line
        );
        assert_eq!(
            outcome.message_id,
            Some(id.to_string()),
            "line {}",
            row.line
        );
        assert_eq!(outcome.action().as_str(), row.action, "line {}", row.line);
        assert_eq!(
            outcome.action().min_delay(),
            row.min_delay_s.map(Duration::from_secs),
            "line {}",
            row.line
        );
    }
    server.verify().await;
}
