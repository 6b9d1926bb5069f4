//! Every row of the shared response table, read as data: the parsed headers and the action.

use std::time::Duration;

use mpns::{Action, DeviceConnectionStatus, NotificationStatus, Outcome, SubscriptionStatus};

struct Row {
    line: usize,
    status: u16,
    headers: Vec<(&'static str, String)>,
    action: String,
    min_delay_s: Option<u64>,
    text: String,
}

fn rows() -> Vec<Row> {
    let table = include_str!("../../../fixtures/responses/status-table.csv");
    let mut lines = table.lines().enumerate();
    let (_, header) = lines.next().expect("the table has a header line");
    assert_eq!(
        header,
        "status,notification,device,subscription,action,min_delay_s,when"
    );
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "line {} must have 7 fields: {l}", i + 1);
            let mut headers = Vec::new();
            for (name, value) in [
                ("X-NotificationStatus", f[1]),
                ("X-DeviceConnectionStatus", f[2]),
                ("X-SubscriptionStatus", f[3]),
            ] {
                if !value.is_empty() {
                    headers.push((name, value.to_owned()));
                }
            }
            Row {
                line: i + 1,
                status: f[0].parse().expect("status is a number"),
                headers,
                action: f[4].to_owned(),
                min_delay_s: (!f[5].is_empty()).then(|| f[5].parse().expect("delay is a number")),
                text: f[6].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_row_of_the_status_table_gives_its_action_and_delay() {
    let rows = rows();
    assert!(rows.len() >= 17, "the documented rows are all there");
    for row in &rows {
        let outcome = Outcome::from_parts(row.status, row.headers.clone());
        let action = outcome.action();
        assert_eq!(
            action.as_str(),
            row.action,
            "line {}: {} {:?} ({})",
            row.line,
            row.status,
            row.headers,
            row.text
        );
        assert_eq!(
            action.min_delay(),
            row.min_delay_s.map(Duration::from_secs),
            "line {}: min delay",
            row.line
        );
        assert_eq!(outcome.status, row.status);
    }
}

#[test]
fn every_row_keeps_each_header_it_was_given_and_nothing_else() {
    for row in rows() {
        let outcome = Outcome::from_parts(row.status, row.headers.clone());
        let given = |name: &str| row.headers.iter().any(|(n, _)| *n == name);
        assert_eq!(
            outcome.notification.is_some(),
            given("X-NotificationStatus")
        );
        assert_eq!(outcome.device.is_some(), given("X-DeviceConnectionStatus"));
        assert_eq!(
            outcome.subscription.is_some(),
            given("X-SubscriptionStatus")
        );
        assert_eq!(outcome.message_id, None, "line {}", row.line);
    }
}

#[test]
fn the_documented_rows_use_only_documented_values() {
    for row in rows().iter().filter(|r| !r.text.starts_with("extra:")) {
        let outcome = Outcome::from_parts(row.status, row.headers.clone());
        assert!(!matches!(
            outcome.notification,
            Some(NotificationStatus::Other(_))
        ));
        assert!(!matches!(
            outcome.device,
            Some(DeviceConnectionStatus::Other(_))
        ));
        assert!(!matches!(
            outcome.subscription,
            Some(SubscriptionStatus::Other(_))
        ));
    }
}

#[test]
fn only_404_expired_removes_a_channel_in_the_table() {
    for row in rows() {
        let outcome = Outcome::from_parts(row.status, row.headers.clone());
        if outcome.action() == Action::RemoveChannel {
            assert_eq!(row.status, 404, "line {}", row.line);
            assert_eq!(outcome.subscription, Some(SubscriptionStatus::Expired));
        }
    }
}

#[test]
fn unknown_header_values_are_kept_verbatim() {
    let outcome = Outcome::from_parts(
        200,
        [
            ("X-NotificationStatus", "Sleeping"),
            ("X-SubscriptionStatus", "Paused"),
        ],
    );
    assert_eq!(
        outcome.notification,
        Some(NotificationStatus::Other("Sleeping".into()))
    );
    assert_eq!(
        outcome.subscription,
        Some(SubscriptionStatus::Other("Paused".into()))
    );
    assert_eq!(outcome.action(), Action::Unknown);
}

#[test]
fn an_answer_without_a_message_id_has_none_whatever_other_headers_it_carries() {
    let outcome = Outcome::from_parts(
        200,
        [
            ("Content-Length", "0"),
            ("X-NotificationStatus", "Received"),
            ("X-NotificationStatus", "Dropped"),
            ("Server", "Microsoft-IIS/7.5"),
        ],
    );
    assert_eq!(outcome.message_id, None);
    assert_eq!(outcome.notification, Some(NotificationStatus::Received));
}

#[test]
fn the_first_of_two_message_ids_is_kept_and_trimmed() {
    let outcome = Outcome::from_parts(
        200,
        [
            ("x-messageid", " 5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11 "),
            ("X-MessageID", "00000000-0000-0000-0000-000000000000"),
        ],
    );
    assert_eq!(
        outcome.message_id.as_deref(),
        Some("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11")
    );
}

#[test]
fn the_first_of_each_repeated_status_header_wins() {
    let outcome = Outcome::from_parts(
        404,
        [
            ("X-DeviceConnectionStatus", "Connected"),
            ("X-SubscriptionStatus", "Expired"),
            ("X-DeviceConnectionStatus", "Inactive"),
            ("X-SubscriptionStatus", "Active"),
        ],
    );
    assert_eq!(outcome.device, Some(DeviceConnectionStatus::Connected));
    assert_eq!(outcome.subscription, Some(SubscriptionStatus::Expired));
    assert_eq!(outcome.action(), Action::RemoveChannel);
}

#[test]
fn no_400_or_401_ever_removes_a_channel_even_when_it_says_expired() {
    for status in [400, 401] {
        let outcome = Outcome::from_parts(status, [("X-SubscriptionStatus", "Expired")]);
        assert_ne!(outcome.action(), Action::RemoveChannel, "status {status}");
    }
}

#[test]
fn the_decision_for_every_row_reads_as_a_reviewed_table() {
    let policy = mpns::RetryPolicy::default();
    let mut text = String::new();
    for row in rows() {
        let outcome = Outcome::from_parts(row.status, row.headers.clone());
        let headers: Vec<String> = row
            .headers
            .iter()
            .map(|(name, value)| format!("{}={value}", &name[2..]))
            .collect();
        let mut schedule = Vec::new();
        for attempt in 1..=3 {
            match policy.for_outcome(&outcome, attempt) {
                mpns::Retry::After(d) => schedule.push(format!("{}s", d.as_secs())),
                mpns::Retry::Never(stop) => {
                    schedule.push(format!("never ({stop:?})"));
                    break;
                }
            }
        }
        text.push_str(&format!(
            "{} [{}] -> {} | then: {}\n",
            row.status,
            headers.join(", "),
            outcome.action(),
            schedule.join(", ")
        ));
    }
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!("status_table_decisions", text);
    });
}
