//! The sandbox's console in a real browser (see `support::browser`): One Time's tile and its
//! status log, a 503 fault retried after the clock advances, Ask to Pin's popup, and a batch
//! waiting on a retry, shown live and cancelled.
//! Every other control of the console is driven in `console_controls`.

use std::path::PathBuf;

use fantoccini::Locator;

use crate::support::browser::{
    click, count_xpath, forget_status, one_time_tile_only, phone_choice, send, session, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_a_one_time_tile_from_the_console_changes_the_pinned_phones_tile_count() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    wait_for(c, &count_xpath("ann-lumia-920", "0")).await;
    wait_for(c, &count_xpath("bob-lumia-800", "not pinned")).await;

    one_time_tile_only(c, 7).await;
    click(c, "#panel-one-time button.send").await;
    wait_for(
        c,
        "//p[@id='send-result' and contains(., 'Sent one-time to 4 subscriber(s)')]",
    )
    .await;

    // The pinned phones show the new count; the unpinned one has no tile to change.
    wait_for(c, &count_xpath("ann-lumia-920", "7")).await;
    wait_for(c, &count_xpath("cat-lumia-610", "7")).await;
    wait_for(c, &count_xpath("bob-lumia-800", "not pinned")).await;
    // The phone's own drawing shows the badge too, and the log the three tiles.
    wait_for(c, "//article[@id='phone-ann-lumia-920']//*[local-name()='svg']//*[normalize-space(text())='7']").await;
    wait_for(c, "(//tbody[@id='log']/tr[td[3]='Tile'])[3]").await;
    // The Windows PC, drawn beside the phones, shows the count as its app's badge (WNS).
    wait_for(
        c,
        "//article[@id='windows-dan-pc']//dd[@data-field='badge' and .='7']",
    )
    .await;
    wait_for(c, "//tbody[@id='log']/tr[td[3]='Badge']").await;
    wait_for(c, "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='200']//span[contains(@class,'grey') and .='Suppressed']").await;

    // Selecting a row shows its time, message id and channel URI.
    click(c, "#log tr[data-status='200']").await;
    wait_for(c, "//dl[@id='log-details']/dt[.='Message id']").await;
    wait_for(c, "//dl[@id='log-details']/dt[.='Platform']").await;
    wait_for(
        c,
        "//dl[@id='log-details']/dd[starts-with(., 'http://127.0.0.1:') or starts-with(., 'https://127.0.0.1:')]",
    )
    .await;

    s.finish("sandbox-console-one-time.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_fault_shows_in_the_status_log_and_the_retry_after_the_clock_advances_succeeds() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    one_time_tile_only(c, 3).await;

    // The next send gets 503 from the fake MPNS.
    let count = c
        .find(Locator::Css("#fault-form input[name=count]"))
        .await
        .unwrap();
    count.clear().await.unwrap();
    count.send_keys("1").await.unwrap();
    click(c, "#fault-form button[type=submit]").await;
    wait_for(
        c,
        "//p[@id='send-result' and contains(., 'The next 1 send(s) get 503')]",
    )
    .await;
    wait_for(
        c,
        "//p[@id='faults' and contains(., '503 for the next 1 send(s) (0 so far)')]",
    )
    .await;

    click(c, "#panel-one-time button.send").await;
    let failed = wait_for(
        c,
        "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='503']",
    )
    .await;
    assert!(
        failed
            .text()
            .await
            .unwrap()
            .contains("503 ServiceUnavailable"),
        "the row names the status"
    );
    // The other two went through; the third waits for its back-off (a minute on the clock).
    wait_for(
        c,
        "(//tbody[@id='log']/tr[td[3]='Tile' and @data-status='200'])[2]",
    )
    .await;

    // Jump the clock past the back-off: the retry is sent and accepted.
    c.find(Locator::Css("#clock-form select[name=seconds]"))
        .await
        .unwrap()
        .select_by_value("300")
        .await
        .unwrap();
    click(c, "#clock-form button[type=submit]").await;
    wait_for(
        c,
        "(//tbody[@id='log']/tr[td[3]='Tile' and @data-status='200'])[3]",
    )
    .await;
    wait_for(c, "//span[@id='advanced' and contains(., '300 s ahead')]").await;
    wait_for(c, "//p[@id='faults' and .='No fault rules.']").await;

    // The retried row went to the channel that got the 503: every pinned phone shows 3.
    wait_for(c, &count_xpath("ann-lumia-920", "3")).await;
    wait_for(c, &count_xpath("cat-lumia-610", "3")).await;

    s.finish("sandbox-console-503-retry.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_to_pin_puts_the_apps_popup_on_the_phone_card_and_ok_closes_it() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    let card = "//article[@id='phone-cat-lumia-610']";
    wait_for(c, &count_xpath("cat-lumia-610", "0")).await;
    click(c, "#phone-cat-lumia-610 button[data-action=unpin]").await;
    wait_for(c, &count_xpath("cat-lumia-610", "not pinned")).await;

    click(c, "#tab-ask-to-pin").await;
    wait_for(
        c,
        "//p[@id='send-result' and contains(., 'Ask to Pin is active')]",
    )
    .await;
    click(c, "#panel-ask-to-pin button.send").await;
    // cat's app is in the foreground: the raw AskToPin reaches it and it shows its popup.
    wait_for(
        c,
        &format!("{card}//div[contains(@class,'prompt') and not(@hidden)]//p[contains(., 'pin your application')]"),
    )
    .await;
    s.client
        .screenshot()
        .await
        .map(|png| {
            let path =
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sandbox-console-ask-to-pin.png");
            std::fs::write(path, png).unwrap();
        })
        .unwrap();
    click(c, "#phone-cat-lumia-610 input[data-role=show-again]").await;
    click(c, "#phone-cat-lumia-610 button[data-action=dismiss-prompt]").await;
    wait_for(
        c,
        &format!("{card}//div[contains(@class,'prompt') and @hidden]"),
    )
    .await;
    // ann's tile is pinned: no popup there.
    wait_for(
        c,
        "//article[@id='phone-ann-lumia-920']//div[contains(@class,'prompt') and @hidden]",
    )
    .await;
    s.finish("sandbox-console-ask-to-pin-dismissed.png").await;
}

/// With an operator token, the console asks for it once (a prompt on the first 401), keeps it
/// for the tab, and then works as without: its event stream is live, the phones are drawn
/// and a send goes out; no second prompt comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_asks_for_the_operator_token_once_and_then_works() {
    let Some(s) = crate::support::browser::session_with(Some("browser-token-7")).await else {
        return;
    };
    let c = &s.client;
    let kept = c
        .execute(
            "return sessionStorage.getItem('mpns-operator-token');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!("browser-token-7"));
    one_time_tile_only(c, 4).await;
    click(c, "#panel-one-time button.send").await;
    wait_for(
        c,
        "//p[@id='send-result' and contains(., 'Sent one-time to 4 subscriber(s)')]",
    )
    .await;
    wait_for(c, &count_xpath("ann-lumia-920", "4")).await;
    assert!(c.get_alert_text().await.is_err(), "a second prompt came");
    s.finish("console-token.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waiting_on_a_412_shows_live_and_cancel_stops_its_retry() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    one_time_tile_only(c, 4).await;
    phone_choice(c, "bob-lumia-800", "connection", "Inactive").await;
    send(c, "one-time", 4).await;
    // Three delivered (two phones and the Windows PC's badge), bob's tile waits an hour for
    // its 412 retry.
    let row = "//tbody[@id='batches']/tr[td[@data-field='pattern']='one-time' and td[@data-field='origin']='send']";
    wait_for(
        c,
        &format!("{row}[td[@data-field='delivered']='3' and td[@data-field='waiting'][starts-with(., '1 until ')]]"),
    )
    .await;
    forget_status(c).await;
    // Found and clicked in one script: the table is redrawn as the log moves.
    let clicked = c
        .execute(
            "const b = document.evaluate(arguments[0], document, null, \
             XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; \
             if (!b) return false; b.click(); return true;",
            vec![serde_json::json!(format!("{row}//button[.='Cancel']"))],
        )
        .await
        .unwrap();
    assert_eq!(
        clicked,
        serde_json::json!(true),
        "the batch has a Cancel button"
    );
    wait_for(
        c,
        "//p[@id='send-result' and contains(., 'cancelled: 1 job(s) will not be sent')]",
    )
    .await;
    wait_for(
        c,
        &format!("{row}[td[@data-field='cancelled']='1 (batch cancelled)' and td[@data-field='waiting']='0']"),
    )
    .await;
    // An hour later nothing was retried: the batch still counts three delivered, none waiting.
    phone_choice(c, "bob-lumia-800", "connection", "Connected").await;
    c.find(Locator::Css("#clock-form select[name=seconds]"))
        .await
        .unwrap()
        .select_by_value("3600")
        .await
        .unwrap();
    click(c, "#clock-form button[type=submit]").await;
    wait_for(c, "//span[@id='advanced' and contains(., '3600 s ahead')]").await;
    wait_for(
        c,
        &format!("{row}[td[@data-field='delivered']='3' and td[@data-field='given_up']='0' and not(.//button)]"),
    )
    .await;
    s.finish("sandbox-console-batch-cancel.png").await;
}
