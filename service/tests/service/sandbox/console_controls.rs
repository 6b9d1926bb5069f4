//! Every control of the console, driven in headless Chromium (see `support::browser`): each
//! pattern's editor and Send, seen on the phones drawn in the page, and each simulator control
//! (connection, battery, app state, pin and unpin, expire, register again, Test Now, faults,
//! clock) changing what the page shows.
//!
//! The three phones start as the sandbox puts them: ann (8.0) pinned with her app in the
//! background, bob (7.1) not pinned with his app closed, cat (7.8) pinned with her app on screen.

use fantoccini::key::Key;
use fantoccini::Locator;

use crate::support::browser::{
    activate, choose, click, count_xpath, field_xpath, forget_status, log_row, one_time_tile_only,
    phone_button, phone_choice, said, screen_xpath, send, session, set_range, type_text, wait_for,
    wait_until_js,
};

const ANN: &str = "ann-lumia-920";
const BOB: &str = "bob-lumia-800";
const CAT: &str = "cat-lumia-610";

/// The XPath of a phone fact that contains `text`.
fn field_containing(phone: &str, field: &str, text: &str) -> String {
    format!("//article[@id='phone-{phone}']//*[@data-field='{field}' and contains(., '{text}')]")
}

/// The XPath of an item of a phone's raw inbox.
fn inbox_item(phone: &str, text: &str) -> String {
    format!(
        "//article[@id='phone-{phone}']//ol[@data-field='inbox']/li[normalize-space(.)='{text}']"
    )
}

/// The XPath of one of a phone's recent events.
fn event(phone: &str, text: &str) -> String {
    format!("//article[@id='phone-{phone}']//ol[@data-field='events']/li[contains(., '{text}')]")
}

/// The text of the element at `xpath`, which must be on the page now.
async fn text_now(client: &fantoccini::Client, xpath: &str) -> String {
    client
        .find(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
        .text()
        .await
        .unwrap()
}

/// What a phone's card says its tile count is now.
async fn count_now(client: &fantoccini::Client, phone: &str) -> String {
    text_now(
        client,
        &format!("//article[@id='phone-{phone}']//dd[@data-field='count']"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_time_editor_sends_the_toast_raw_title_and_background_it_shows() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    activate(c, "counter", "Counter").await;
    activate(c, "one-time", "One Time").await;

    // A toast and a raw, no tile.
    click(c, "#panel-one-time input[name=tile]").await;
    type_text(c, "#panel-one-time input[name=toast_title]", "Match").await;
    type_text(
        c,
        "#panel-one-time input[name=toast_subtitle]",
        "starts now",
    )
    .await;
    type_text(c, "#panel-one-time input[name=raw_message]", "kick-off").await;
    send(c, "one-time", 4).await;
    // The toast shows on ann (app in the background) and bob (app closed); the raw reaches
    // cat's app, the one on screen.
    wait_for(
        c,
        &field_xpath(ANN, "toast", "Match — starts now (1 shown)"),
    )
    .await;
    wait_for(
        c,
        &field_xpath(BOB, "toast", "Match — starts now (1 shown)"),
    )
    .await;
    wait_for(c, &screen_xpath(BOB, "Match")).await;
    wait_for(c, &inbox_item(CAT, "kick-off")).await;
    wait_for(c, &log_row("One Time", "Toast", "Received", 2)).await;
    assert_eq!(count_now(c, ANN).await, "0", "no tile was sent");

    // Now only the tile, with a title and the second background.
    click(c, "#panel-one-time input[name=tile]").await;
    click(c, "#panel-one-time input[name=toast]").await;
    click(c, "#panel-one-time input[name=raw]").await;
    type_text(c, "#panel-one-time input[name=title]", "Derby").await;
    set_range(c, "#panel-one-time input[name=count]", 12).await;
    click(c, "#panel-one-time label.bg2").await;
    wait_for(c, "//form[@id='panel-one-time']//div[contains(@class,'tile-preview') and contains(@class,'bg2')]/span[@class='ttitle' and .='Derby']").await;
    send(c, "one-time", 4).await;
    for phone in [ANN, CAT] {
        wait_for(c, &count_xpath(phone, "12")).await;
        wait_for(c, &screen_xpath(phone, "Derby")).await;
        wait_for(
            c,
            &field_xpath(phone, "image", "/Resources/TileImages/TileBackground2.jpg"),
        )
        .await;
    }
    wait_for(c, &count_xpath(BOB, "not pinned")).await;
    s.finish("sandbox-console-one-time-editor.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_send_counts_up_where_the_app_is_closed_and_the_app_on_screen_gets_the_probe() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    // The tabs follow the arrow keys: right of One Time is Counter.
    activate(c, "one-time", "One Time").await;
    c.find(Locator::Css("#tab-one-time"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Right).to_string())
        .await
        .unwrap();
    said(c, "Counter is active; Update Info sent to 4 subscriber(s).").await;
    wait_for(c, "//button[@id='tab-counter' and @aria-selected='true']").await;
    wait_for(c, "//form[@id='panel-counter' and not(@hidden)]").await;
    type_text(c, "#panel-counter input[name=title]", "Unread").await;
    type_text(c, "#panel-counter input[name=raw_message]", "any news?").await;
    click(c, "#panel-counter label.bg3").await;
    wait_for(c, "//form[@id='panel-counter']//div[contains(@class,'tile-preview') and contains(@class,'bg3')]/span[@class='ttitle' and .='Unread']").await;

    // ann's app is closed: the probe is Suppressed, her counter goes to 1 and her tile shows
    // it. cat's app is on screen: it gets the probe, and no tile.
    phone_choice(c, ANN, "app", "closed").await;
    wait_for(c, &field_xpath(ANN, "app", "closed")).await;
    send(c, "counter", 4).await;
    wait_for(c, &count_xpath(ANN, "1")).await;
    wait_for(c, &screen_xpath(ANN, "Unread")).await;
    wait_for(
        c,
        &field_xpath(ANN, "image", "/Resources/TileImages/TileBackground3.jpg"),
    )
    .await;
    wait_for(c, &inbox_item(CAT, "any news?")).await;

    send(c, "counter", 4).await;
    wait_for(c, &count_xpath(ANN, "2")).await;
    wait_for(
        c,
        &format!(
            "//article[@id='phone-{CAT}']//ol[@data-field='inbox' and count(li[.='any news?'])=2]"
        ),
    )
    .await;
    assert_eq!(
        count_now(c, CAT).await,
        "0",
        "cat's app was on screen: her tile was never counted"
    );
    wait_for(c, &count_xpath(BOB, "not pinned")).await;
    s.finish("sandbox-console-counter.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ask_to_pin_editor_puts_its_count_title_and_background_on_the_pinned_phones() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    activate(c, "ask-to-pin", "Ask to Pin").await;
    set_range(c, "#panel-ask-to-pin input[name=count]", 9).await;
    type_text(c, "#panel-ask-to-pin input[name=title]", "Pin us").await;
    click(c, "#panel-ask-to-pin label.bg1").await;
    wait_for(c, "//form[@id='panel-ask-to-pin']//div[contains(@class,'tile-preview') and contains(@class,'bg1')]/span[@class='badge' and .='9']").await;
    send(c, "ask-to-pin", 4).await;
    for phone in [ANN, CAT] {
        wait_for(c, &count_xpath(phone, "9")).await;
        wait_for(c, &screen_xpath(phone, "Pin us")).await;
        wait_for(
            c,
            &field_xpath(phone, "image", "/Resources/TileImages/TileBackground1.jpg"),
        )
        .await;
    }
    // bob's tile is not pinned: his tile is Suppressed (his app is closed, so no popup).
    wait_for(c, &log_row("Ask to Pin", "Tile", "Suppressed", 1)).await;
    wait_for(c, &count_xpath(BOB, "not pinned")).await;
    s.finish("sandbox-console-ask-to-pin-editor.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_tile_send_puts_the_server_drawn_image_count_and_title_on_the_pinned_phones() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    activate(c, "custom-tile", "Custom Tile").await;
    type_text(c, "#panel-custom-tile input[name=text]", "Hi there").await;
    set_range(c, "#panel-custom-tile input[name=size]", 28).await;
    choose(c, "#panel-custom-tile select[name=color]", "red").await;
    choose(c, "#panel-custom-tile select[name=background]", "tile2").await;
    click(c, "#panel-custom-tile input[name=with_count]").await;
    type_text(c, "#panel-custom-tile input[name=count]", "5").await;
    click(c, "#panel-custom-tile input[name=with_title]").await;
    type_text(c, "#panel-custom-tile input[name=title]", "Custom").await;
    // The preview is the image the service draws for these settings.
    wait_for(
        c,
        "//form[@id='panel-custom-tile']//output[@name='size-out' and .='28']",
    )
    .await;
    wait_for(c, "//img[contains(@class,'custom-preview') and contains(@src,'text=Hi+there') and contains(@src,'size=28') and contains(@src,'color=red') and contains(@src,'background=tile2')]").await;
    wait_until_js(
        c,
        "document.querySelector('#panel-custom-tile .custom-preview').complete && \
         document.querySelector('#panel-custom-tile .custom-preview').naturalWidth === 173",
    )
    .await;

    send(c, "custom-tile", 4).await;
    // The pinned phones fetched the image (the tile changes once it decoded) and show it.
    for phone in [ANN, CAT] {
        wait_for(c, &count_xpath(phone, "5")).await;
        wait_for(c, &screen_xpath(phone, "Custom")).await;
        wait_for(
            c,
            &field_containing(phone, "image", "/images/custom.png?text=Hi"),
        )
        .await;
        wait_for(
            c,
            &field_containing(phone, "image", "size=28&color=red&background=tile2"),
        )
        .await;
    }
    wait_for(c, &log_row("Custom Tile", "Tile", "Received", 2)).await;
    wait_for(c, &log_row("Custom Tile", "Tile", "Suppressed", 1)).await;
    s.finish("sandbox-console-custom-tile.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_now_under_tile_schedule_shows_the_number_image_in_the_panel_and_on_the_phones_tile() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    activate(c, "tile-schedule", "Tile Schedule").await;
    let last_image = "document.querySelector('#panel-tile-schedule input[name=last_image]').value";
    wait_until_js(c, &format!("{last_image} === '(none yet)'")).await;

    choose(c, &format!("#phone-{ANN} select[data-role=number]"), "4").await;
    phone_button(c, ANN, "test-now").await;
    wait_for(c, &field_containing(ANN, "image", "/images/numbers/4.png")).await;
    wait_until_js(c, &format!("{last_image} === 'number4.png (ann)'")).await;
    wait_for(c, "//img[contains(@class,'schedule-preview') and not(@hidden) and contains(@src,'/images/numbers/4.png')]").await;
    wait_for(c, &log_row("Tile Schedule", "Tile", "Received", 1)).await;

    choose(c, &format!("#phone-{CAT} select[data-role=number]"), "7").await;
    phone_button(c, CAT, "test-now").await;
    wait_for(c, &field_containing(CAT, "image", "/images/numbers/7.png")).await;
    wait_until_js(c, &format!("{last_image} === 'number7.png (cat)'")).await;
    wait_for(
        c,
        "//img[contains(@class,'schedule-preview') and contains(@src,'/images/numbers/7.png')]",
    )
    .await;
    wait_for(c, &log_row("Tile Schedule", "Tile", "Received", 2)).await;
    // Each phone keeps the number it asked for.
    wait_for(c, &field_containing(ANN, "image", "/images/numbers/4.png")).await;
    s.finish("sandbox-console-tile-schedule.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporarily_disconnected_phone_gets_its_tile_on_reconnecting_and_a_disconnected_one_gets_412(
) {
    let Some(s) = session().await else { return };
    let c = &s.client;
    one_time_tile_only(c, 4).await;
    phone_choice(c, ANN, "connection", "TempDisconnected").await;
    wait_for(c, &field_xpath(ANN, "connection", "TempDisconnected")).await;
    wait_for(c, &event(ANN, "Disconnected")).await;
    phone_choice(c, CAT, "connection", "Disconnected").await;
    wait_for(c, &field_xpath(CAT, "connection", "Disconnected")).await;

    send(c, "one-time", 4).await;
    // MPNS queues ann's tile; cat's is refused with 412.
    wait_for(
        c,
        "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='200' and td[5]='TempDisconnected']",
    )
    .await;
    wait_for(
        c,
        "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='412' and td[5]='Disconnected']",
    )
    .await;
    assert_eq!(
        count_now(c, ANN).await,
        "0",
        "ann's tile waits in the queue while she is away"
    );

    // Back online, the queue is delivered.
    phone_choice(c, ANN, "connection", "Connected").await;
    wait_for(c, &field_xpath(ANN, "connection", "Connected")).await;
    wait_for(c, &count_xpath(ANN, "4")).await;

    phone_choice(c, CAT, "connection", "Inactive").await;
    wait_for(c, &field_xpath(CAT, "connection", "Inactive")).await;
    send(c, "one-time", 4).await;
    wait_for(
        c,
        "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='412' and td[5]='Inactive']",
    )
    .await;
    phone_choice(c, CAT, "connection", "Connected").await;
    wait_for(c, &field_xpath(CAT, "connection", "Connected")).await;
    send(c, "one-time", 4).await;
    wait_for(c, &count_xpath(CAT, "4")).await;
    s.finish("sandbox-console-connection.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_battery_suppresses_the_tile_until_the_battery_is_normal_again() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    one_time_tile_only(c, 6).await;
    phone_choice(c, ANN, "power", "Low").await;
    wait_for(c, &field_xpath(ANN, "power", "Low")).await;
    wait_for(c, &event(ANN, "PowerLevelChanged(Low)")).await;

    send(c, "one-time", 4).await;
    // cat gets the tile; ann's (low battery) and bob's (not pinned) are Suppressed.
    wait_for(c, &count_xpath(CAT, "6")).await;
    wait_for(c, &log_row("One Time", "Tile", "Suppressed", 2)).await;
    assert_eq!(
        count_now(c, ANN).await,
        "0",
        "a low battery keeps tiles off ann's phone"
    );

    phone_choice(c, ANN, "power", "CriticalLow").await;
    wait_for(c, &field_xpath(ANN, "power", "CriticalLow")).await;
    wait_for(c, &event(ANN, "PowerLevelChanged(CriticalLow)")).await;
    phone_choice(c, ANN, "power", "Normal").await;
    wait_for(c, &field_xpath(ANN, "power", "Normal")).await;
    set_range(c, "#panel-one-time input[name=count]", 8).await;
    send(c, "one-time", 4).await;
    wait_for(c, &count_xpath(ANN, "8")).await;
    wait_for(c, &count_xpath(CAT, "8")).await;
    s.finish("sandbox-console-power.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_reaches_an_apps_inbox_only_while_the_app_is_on_screen() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    activate(c, "counter", "Counter").await;
    activate(c, "one-time", "One Time").await;
    click(c, "#panel-one-time input[name=tile]").await;
    click(c, "#panel-one-time input[name=toast]").await;

    phone_choice(c, CAT, "app", "background").await;
    wait_for(c, &field_xpath(CAT, "app", "background")).await;
    type_text(c, "#panel-one-time input[name=raw_message]", "first").await;
    send(c, "one-time", 4).await;
    // Four Update Info raws from activating One Time (three phones and the Windows PC), and
    // these four.
    wait_for(
        c,
        "(//tbody[@id='log']/tr[td[2]='One Time' and td[3]='Raw'])[8]",
    )
    .await;

    phone_choice(c, CAT, "app", "foreground").await;
    wait_for(c, &field_xpath(CAT, "app", "foreground")).await;
    type_text(c, "#panel-one-time input[name=raw_message]", "second").await;
    send(c, "one-time", 4).await;
    wait_for(c, &inbox_item(CAT, "second")).await;
    assert!(
        c.find(Locator::XPath(&inbox_item(CAT, "first")))
            .await
            .is_err(),
        "the raw sent while cat's app was in the background never reached its inbox"
    );

    phone_choice(c, CAT, "app", "closed").await;
    wait_for(c, &field_xpath(CAT, "app", "closed")).await;
    phone_choice(c, ANN, "app", "foreground").await;
    wait_for(c, &field_xpath(ANN, "app", "foreground")).await;
    type_text(c, "#panel-one-time input[name=raw_message]", "third").await;
    send(c, "one-time", 4).await;
    wait_for(c, &inbox_item(ANN, "third")).await;
    // Only "third": what came while her app was in the background never reached it.
    wait_for(
        c,
        &format!("//article[@id='phone-{ANN}']//ol[@data-field='inbox' and count(li)=1]"),
    )
    .await;
    s.finish("sandbox-console-app-state.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinning_and_unpinning_redraw_the_start_screen_and_swap_the_buttons() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    let bob = format!("//article[@id='phone-{BOB}']");
    wait_for(c, &count_xpath(BOB, "not pinned")).await;
    wait_for(c, &screen_xpath(BOB, "no tile pinned")).await;
    wait_for(
        c,
        &format!("{bob}//button[@data-action='unpin' and @disabled]"),
    )
    .await;

    phone_button(c, BOB, "pin").await;
    wait_for(c, &count_xpath(BOB, "0")).await;
    wait_for(
        c,
        &format!(
            "{bob}//*[local-name()='svg']//*[starts-with(normalize-space(text()), 'primary tile')]"
        ),
    )
    .await;
    wait_for(
        c,
        &format!("{bob}//button[@data-action='pin' and @disabled]"),
    )
    .await;
    wait_for(
        c,
        &format!("{bob}//button[@data-action='unpin' and not(@disabled)]"),
    )
    .await;
    // The pinned tile takes the next tile sent.
    one_time_tile_only(c, 5).await;
    send(c, "one-time", 4).await;
    wait_for(c, &count_xpath(BOB, "5")).await;

    phone_button(c, ANN, "unpin").await;
    wait_for(c, &count_xpath(ANN, "not pinned")).await;
    wait_for(c, &screen_xpath(ANN, "no tile pinned")).await;
    wait_for(
        c,
        &format!("//article[@id='phone-{ANN}']//button[@data-action='pin' and not(@disabled)]"),
    )
    .await;
    s.finish("sandbox-console-pin-unpin.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_phone_drops_out_of_the_subscribers_and_register_again_brings_it_back() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    let ann_row = "//tbody[@id='subs']/tr[td[1]='ann']";
    wait_for(c, "//span[@id='sub-count' and .='4']").await;
    wait_for(c, ann_row).await;
    let channel = format!("//article[@id='phone-{ANN}']//dd[@data-field='channel']");
    let first_channel = text_now(c, &channel).await;

    phone_button(c, ANN, "expire").await;
    // Activating sends Update Info: ann's answer is 404 Expired and the service prunes her.
    activate(c, "counter", "Counter").await;
    let expired = wait_for(
        c,
        "//tbody[@id='log']/tr[@data-status='404' and td[6]='Expired']",
    )
    .await;
    // The row, chosen from the keyboard, names the channel: ann's.
    expired
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    let uri = first_channel.split(" · ").next().unwrap();
    wait_for(c, &format!("//dl[@id='log-details']/dd[.='{uri}']")).await;
    wait_for(c, "//span[@id='sub-count' and .='3']").await;
    assert!(
        c.find(Locator::XPath(ann_row)).await.is_err(),
        "ann is no longer a subscriber"
    );
    one_time_tile_only(c, 2).await;
    send(c, "one-time", 3).await;
    wait_for(c, &count_xpath(CAT, "2")).await;

    phone_button(c, ANN, "register").await;
    wait_for(c, "//span[@id='sub-count' and .='4']").await;
    wait_for(c, ann_row).await;
    wait_for(
        c,
        &format!("{channel}[starts-with(., 'http') and not(starts-with(., '{first_channel}'))]"),
    )
    .await;
    // The app went back to the background, where it was, and takes sends again.
    wait_for(c, &field_xpath(ANN, "app", "background")).await;
    assert_eq!(
        count_now(c, ANN).await,
        "0",
        "ann missed the send while expired"
    );
    send(c, "one-time", 4).await;
    wait_for(c, &count_xpath(ANN, "2")).await;
    s.finish("sandbox-console-expire-register.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_faults_lets_sends_through_again_and_advancing_the_clock_moves_the_page_clock() {
    let Some(s) = session().await else { return };
    let c = &s.client;
    wait_for(c, "//p[@id='faults' and .='No fault rules.']").await;
    type_text(c, "#fault-form input[name=count]", "4").await;
    forget_status(c).await;
    click(c, "#fault-form button[type=submit]").await;
    said(c, "The next 4 send(s) get 503.").await;
    wait_for(
        c,
        "//p[@id='faults' and contains(., '503 for the next 4 send(s) (0 so far)')]",
    )
    .await;
    click(c, "#clear-faults").await;
    said(c, "Fault rules cleared.").await;
    wait_for(c, "//p[@id='faults' and .='No fault rules.']").await;

    one_time_tile_only(c, 5).await;
    send(c, "one-time", 4).await;
    wait_for(c, &count_xpath(ANN, "5")).await;
    wait_for(c, &count_xpath(CAT, "5")).await;
    assert!(
        c.find(Locator::XPath("//tbody[@id='log']/tr[@data-status='503']"))
            .await
            .is_err(),
        "no send got a 503 once the faults were cleared"
    );

    wait_until_js(c, "document.querySelector('#clock').dateTime !== ''").await;
    let before = c
        .execute("return document.querySelector('#clock').dateTime;", vec![])
        .await
        .unwrap();
    let before = before.as_str().unwrap().to_owned();
    choose(c, "#clock-form select[name=seconds]", "86400").await;
    click(c, "#clock-form button[type=submit]").await;
    said(c, "Clock advanced by 86400 s.").await;
    wait_for(
        c,
        "//span[@id='advanced' and .='(86400 s ahead of real time)']",
    )
    .await;
    wait_until_js(
        c,
        &format!(
            "new Date(document.querySelector('#clock').dateTime) - new Date('{before}') >= 86400000"
        ),
    )
    .await;
    s.finish("sandbox-console-faults-clock.png").await;
}
