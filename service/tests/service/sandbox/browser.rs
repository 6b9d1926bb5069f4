//! The sandbox's console in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, `fantoccini`), against a sandbox started in this process on port 0 with a
//! temporary data folder.
//!
//! Without `chromium` and `chromedriver` on the PATH these tests print a loud SKIP and pass,
//! unless the environment variable `CI` is set: then they fail (`.ci/run` installs both).
//! Waits are WebDriver waits (bounded polling of the page), never sleeps.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use mpns_service::sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long any one condition on the page may take.
const WAIT: Duration = Duration::from_secs(20);

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Chromium and chromedriver, or `None` (after a loud message) when the test must skip.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROME")
        .map(PathBuf::from)
        .or_else(|| find_program(&["chromium", "chromium-browser", "google-chrome"]));
    let driver = find_program(&["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing = [
                c.is_none().then_some("chromium"),
                d.is_none().then_some("chromedriver"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
            let missing = missing.join(" and ");
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but {missing} not found on the PATH: install the Debian packages `chromium` and `chromium-driver` (.ci/run does)");
            }
            // Straight to the terminal: the test harness hides what `eprintln!` prints in a
            // test that passes.
            let banner = format!(
                "\n**********************************************************************\n\
                 SKIPPED sandbox browser test: {missing} not found on the PATH.\n\
                 Install them with: apt-get install -y chromium chromium-driver\n\
                 **********************************************************************\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), banner.as_bytes());
            None
        }
    }
}

/// A chromedriver on a free loopback port.
struct Driver {
    _child: Child,
    url: String,
}

async fn start_driver(driver: &PathBuf) -> Driver {
    let mut child = Command::new(driver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("chromedriver output") {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                return rest.trim_end_matches('.').trim().parse::<u16>().ok();
            }
        }
        None
    })
    .await
    .expect("chromedriver said on which port it listens within 30 s")
    .expect("chromedriver printed its port");
    // Keep reading, so chromedriver never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Driver {
        _child: child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn open_browser(chromium: &PathBuf, driver: &Driver, profile: &std::path::Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session through chromedriver")
}

/// A sandbox, a browser on its console, and their temporary folders.
struct Session {
    sandbox: Option<Sandbox>,
    client: Client,
    closed: bool,
    _driver: Driver,
    _data: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

async fn session() -> Option<Session> {
    let (chromium, driver_path) = browser()?;
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        data_dir: data.path().to_owned(),
        port: 0,
    })
    .await
    .expect("sandbox starts");
    let driver = start_driver(&driver_path).await;
    let client = open_browser(&chromium, &driver, profile.path()).await;
    let url = sandbox.console_url();
    let s = Session {
        sandbox: Some(sandbox),
        client,
        closed: false,
        _driver: driver,
        _data: data,
        _profile: profile,
    };
    s.client.goto(&url).await.unwrap();
    // The console is live once the event stream is open and the phones are drawn.
    wait_for(
        &s.client,
        "//span[@id='conn' and normalize-space(.)='live']",
    )
    .await;
    wait_for(
        &s.client,
        "//article[@id='phone-ann-lumia-920']//*[local-name()='svg']",
    )
    .await;
    Some(s)
}

impl Session {
    async fn finish(mut self, screenshot: &str) {
        let png = self.client.screenshot().await.unwrap();
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(screenshot);
        std::fs::write(&path, &png).unwrap();
        eprintln!("screenshot: {}", path.display());
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        self.closed = true;
        self.client.clone().close().await.unwrap();
        let sandbox = self.sandbox.take().expect("finished once");
        sandbox.shutdown().await;
    }
}

/// A test that fails still ends the browser session: chromium outlives a killed chromedriver.
impl Drop for Session {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let client = self.client.clone();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
            })
        });
    }
}

/// Waits (WebDriver polling, at most [`WAIT`]) for an element matching `xpath`.
async fn wait_for(client: &Client, xpath: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .every(Duration::from_millis(100))
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let shot =
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sandbox-browser-failure.png");
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(&shot, png);
            }
            let status = client.find(Locator::Css("#send-result")).await.ok();
            let said = match status {
                Some(el) => el.text().await.unwrap_or_default(),
                None => String::new(),
            };
            panic!(
                "waited {WAIT:?} for {xpath}: {e}; the console said: {said:?}; the page: {}",
                shot.display()
            );
        }
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Activates One Time from its tab and keeps only the tile, with this count.
async fn one_time_tile_only(client: &Client, count: u8) {
    click(client, "#tab-counter").await;
    wait_for(
        client,
        "//p[@id='send-result' and contains(., 'Counter is active')]",
    )
    .await;
    click(client, "#tab-one-time").await;
    wait_for(
        client,
        "//p[@id='send-result' and contains(., 'One Time is active')]",
    )
    .await;
    click(client, "#panel-one-time input[name=toast]").await;
    click(client, "#panel-one-time input[name=raw]").await;
    // A range input is set by script, as a drag would, with the event the page listens to.
    client
        .execute(
            "const r = document.querySelector('#panel-one-time input[name=count]');\
             r.value = arguments[0]; r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(count)],
        )
        .await
        .unwrap();
    wait_for(
        client,
        &format!(
            "//form[@id='panel-one-time']//span[@class='badge' and normalize-space(.)='{count}']"
        ),
    )
    .await;
}

fn count_xpath(phone: &str, text: &str) -> String {
    format!(
        "//article[@id='phone-{phone}']//dd[@data-field='count' and normalize-space(.)='{text}']"
    )
}

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
        "//p[@id='send-result' and contains(., 'Sent one-time to 3 subscriber(s)')]",
    )
    .await;

    // The pinned phones show the new count; the unpinned one has no tile to change.
    wait_for(c, &count_xpath("ann-lumia-920", "7")).await;
    wait_for(c, &count_xpath("cat-lumia-610", "7")).await;
    wait_for(c, &count_xpath("bob-lumia-800", "not pinned")).await;
    // The phone's own drawing shows the badge too, and the log the three tiles.
    wait_for(c, "//article[@id='phone-ann-lumia-920']//*[local-name()='svg']//*[normalize-space(text())='7']").await;
    wait_for(c, "(//tbody[@id='log']/tr[td[3]='Tile'])[3]").await;
    wait_for(c, "//tbody[@id='log']/tr[td[3]='Tile' and @data-status='200']//span[contains(@class,'grey') and .='Suppressed']").await;

    // Selecting a row shows its time, message id and channel URI.
    click(c, "#log tr[data-status='200']").await;
    wait_for(c, "//dl[@id='log-details']/dt[.='Message id']").await;
    wait_for(
        c,
        "//dl[@id='log-details']/dd[starts-with(., 'http://127.0.0.1:')]",
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
