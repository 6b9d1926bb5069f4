//! The console in a real browser, for the sandbox's browser tests: headless Chromium driven
//! through chromedriver (WebDriver, `fantoccini`), against a sandbox started in this process on
//! port 0 with a temporary data folder ([`session`]), and the waits and clicks the tests share;
//! [`browser_on`] opens any page (the fake MPNS's web view) with the same browser.
//!
//! Without `chromium` and `chromedriver` on the PATH [`session`] prints a loud SKIP and gives
//! `None`, unless the environment variable `CI` is set: then it fails (`.ci/run` installs both).
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
pub(crate) const WAIT: Duration = Duration::from_secs(20);

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
                 SKIPPED browser test: {missing} not found on the PATH.\n\
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

/// Starts chromedriver on a port it picks, trying up to three times: with `--port=0` it binds
/// IPv4 first and then IPv6 on the same port, and when another process took that port in between
/// (other tests start chromedrivers in parallel) it gives up without printing a port.
async fn start_driver(driver: &PathBuf) -> Driver {
    let mut failures = Vec::new();
    for _ in 0..3 {
        match try_start_driver(driver).await {
            Ok(d) => return d,
            Err(why) => failures.push(why),
        }
    }
    panic!(
        "chromedriver did not start in three tries:\n{}",
        failures.join("\n---\n")
    );
}

async fn try_start_driver(driver: &PathBuf) -> Result<Driver, String> {
    let mut child = Command::new(driver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("chromedriver does not start: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    // Whatever chromedriver says on stderr is kept for the message when it fails, and read
    // all along so that it never blocks on a full pipe.
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = said.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() < 16 * 1024 {
                kept.push_str(&line);
                kept.push('\n');
            }
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                return rest.trim_end_matches('.').trim().parse::<u16>().ok();
            }
            printed.push_str(&line);
            printed.push('\n');
        }
        None
    })
    .await;
    let stderr_text = || said.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let port = match port {
        Ok(Some(port)) => port,
        Ok(None) => {
            let status = child.wait().await.ok();
            return Err(format!(
                "chromedriver ended its output without a port (exit: {status:?})\nstdout:\n{printed}stderr:\n{}",
                stderr_text()
            ));
        }
        Err(_) => {
            return Err(format!(
                "chromedriver said no port within 30 s\nstdout:\n{printed}stderr:\n{}",
                stderr_text()
            ))
        }
    };
    // Keep reading, so chromedriver never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Driver {
        _child: child,
        url: format!("http://127.0.0.1:{port}"),
    })
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

/// A headless Chromium driven through its own chromedriver, with a throwaway profile. Dropped
/// without [`Browser::finish`] (a test that failed), it still ends the browser session:
/// chromium outlives a killed chromedriver.
pub(crate) struct Browser {
    pub client: Client,
    closed: bool,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser, or `None` (after a loud SKIP) without Chromium outside CI.
    async fn open() -> Option<Browser> {
        let (chromium, driver_path) = browser()?;
        let profile = tempfile::tempdir().unwrap();
        let driver = start_driver(&driver_path).await;
        let client = open_browser(&chromium, &driver, profile.path()).await;
        Some(Browser {
            client,
            closed: false,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Leaves a screenshot in `target/tmp/` and ends the session.
    pub(crate) async fn finish(mut self, screenshot: &str) {
        let png = self.client.screenshot().await.unwrap();
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(screenshot);
        std::fs::write(&path, &png).unwrap();
        eprintln!("screenshot: {}", path.display());
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        self.closed = true;
        self.client.clone().close().await.unwrap();
    }
}

impl Drop for Browser {
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

/// A browser on `url` (the fake MPNS's web view), or `None` when the test must skip.
pub(crate) async fn browser_on(url: &str) -> Option<Browser> {
    let b = Browser::open().await?;
    b.client.goto(url).await.unwrap();
    Some(b)
}

/// A sandbox, a browser on its console, and their temporary folders.
pub(crate) struct Session {
    sandbox: Option<Sandbox>,
    pub client: Client,
    browser: Browser,
    _data: tempfile::TempDir,
}

pub(crate) async fn session() -> Option<Session> {
    session_with(None).await
}

/// Like [`session`]; with `token`, the sandbox wants it for the operator's routes and the test
/// answers the console's prompt for it (which must come exactly once) before the page is live.
pub(crate) async fn session_with(token: Option<&str>) -> Option<Session> {
    let browser = Browser::open().await?;
    let data = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        data_dir: data.path().to_owned(),
        port: 0,
        service: mpns_service::registration::ServiceConfig {
            operator_token: token.map(str::to_owned),
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let url = sandbox.console_url();
    let s = Session {
        sandbox: Some(sandbox),
        client: browser.client.clone(),
        browser,
        _data: data,
    };
    s.client.goto(&url).await.unwrap();
    if let Some(token) = token {
        // Poll (as WebDriver's own waits do) until the page ran into its 401 and prompted.
        let started = std::time::Instant::now();
        let text = loop {
            match s.client.get_alert_text().await {
                Ok(text) => break text,
                Err(_) if started.elapsed() < WAIT => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("the console never asked for the token within {WAIT:?}: {e}"),
            }
        };
        assert!(text.contains("operator"), "{text}");
        s.client.send_alert_text(token).await.unwrap();
        s.client.accept_alert().await.unwrap();
    }
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
    pub(crate) async fn finish(mut self, screenshot: &str) {
        let sandbox = self.sandbox.take().expect("finished once");
        self.browser.finish(screenshot).await;
        sandbox.shutdown().await;
    }
}

/// Waits (WebDriver polling, at most [`WAIT`]) for an element matching `xpath`.
pub(crate) async fn wait_for(client: &Client, xpath: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .every(Duration::from_millis(100))
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(e) => e,
        Err(e) => fail(client, xpath, &e.to_string()).await,
    }
}

/// Fails the test with what it waited for, what the console said last and a screenshot named
/// after the test (the test harness names the thread that runs it).
async fn fail(client: &Client, waited_for: &str, error: &str) -> ! {
    let test = std::thread::current()
        .name()
        .and_then(|n| n.rsplit("::").next())
        .unwrap_or("unnamed")
        .to_owned();
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sandbox-browser-failure-{test}.png"));
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(&shot, png);
    }
    let status = client
        .find(Locator::Css("#send-result, #status"))
        .await
        .ok();
    let said = match status {
        Some(el) => el.text().await.unwrap_or_default(),
        None => String::new(),
    };
    panic!(
        "waited {WAIT:?} for {waited_for}: {error}; the page said: {said:?}; the page: {}",
        shot.display()
    );
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Activates One Time from its tab and keeps only the tile, with this count.
pub(crate) async fn one_time_tile_only(client: &Client, count: u8) {
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
    set_range(client, "#panel-one-time input[name=count]", count.into()).await;
    wait_for(
        client,
        &format!(
            "//form[@id='panel-one-time']//span[@class='badge' and normalize-space(.)='{count}']"
        ),
    )
    .await;
}

pub(crate) fn count_xpath(phone: &str, text: &str) -> String {
    format!(
        "//article[@id='phone-{phone}']//dd[@data-field='count' and normalize-space(.)='{text}']"
    )
}

/// Waits (at most [`WAIT`]) until the script `condition`, run in the page, returns `true`: for
/// what XPath cannot see, such as an input's current value.
pub(crate) async fn wait_until_js(client: &Client, condition: &str) {
    let script = format!("return Boolean({condition});");
    let check = async {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            if client.execute(&script, vec![]).await.ok() == Some(json!(true)) {
                return;
            }
        }
    };
    if tokio::time::timeout(WAIT, check).await.is_err() {
        fail(client, condition, "never true").await;
    }
}

/// Sets the range input at `css` by script, as a drag would, with the event the page listens to.
pub(crate) async fn set_range(client: &Client, css: &str, value: u32) {
    client
        .execute(
            "const r = document.querySelector(arguments[0]);\
             r.value = arguments[1]; r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("set {css} to {value}: {e}"));
}

/// Chooses the option whose value (or, without one, whose text) is `value` in the `<select>` at
/// `css`, as a person would (the page gets `change`).
pub(crate) async fn choose(client: &Client, css: &str, value: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by(Locator::XPath(&format!(
            ".//option[@value='{value}' or (not(@value) and normalize-space(.)='{value}')]"
        )))
        .await
        .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

/// Replaces the text of the input at `css` by typing `text`.
pub(crate) async fn type_text(client: &Client, css: &str, text: &str) {
    let input = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Clicks the pattern's tab and waits until the console says it is active.
pub(crate) async fn activate(client: &Client, pattern: &str, name: &str) {
    click(client, &format!("#tab-{pattern}")).await;
    wait_for(
        client,
        &format!("//p[@id='send-result' and contains(., '{name} is active')]"),
    )
    .await;
}

/// Presses the pattern panel's Send and waits until the console says to how many subscribers
/// it was sent.
pub(crate) async fn send(client: &Client, pattern: &str, subscribers: usize) {
    forget_status(client).await;
    click(client, &format!("#panel-{pattern} button.send")).await;
    said(
        client,
        &format!("Sent {pattern} to {subscribers} subscriber(s)."),
    )
    .await;
}

/// Empties the console's status line, so that a wait for what it says next cannot be met by
/// what it said before.
pub(crate) async fn forget_status(client: &Client) {
    client
        .execute(
            "document.querySelector('#send-result').textContent = '';",
            vec![],
        )
        .await
        .unwrap();
}

/// Presses a phone card's button (`pin`, `unpin`, `expire`, `register`, `test-now`…) and
/// waits until the console says it was done.
pub(crate) async fn phone_button(client: &Client, phone: &str, action: &str) {
    forget_status(client).await;
    click(
        client,
        &format!("#phone-{phone} button[data-action={action}]"),
    )
    .await;
    said(client, &format!("{phone}: {action} done.")).await;
}

/// Chooses `value` in a phone card's `connection`, `power` or `app` list and waits until the
/// console says it was done.
pub(crate) async fn phone_choice(client: &Client, phone: &str, action: &str, value: &str) {
    forget_status(client).await;
    choose(
        client,
        &format!("#phone-{phone} select[data-action={action}]"),
        value,
    )
    .await;
    said(client, &format!("{phone}: {action} done.")).await;
}

/// Waits until the console's status line says `text`.
pub(crate) async fn said(client: &Client, text: &str) {
    wait_for(
        client,
        &format!("//p[@id='send-result' and normalize-space(.)='{text}']"),
    )
    .await;
}

/// The XPath of a phone's fact (`count`, `connection`, `power`, `app`, `toast`, …) with this
/// text.
pub(crate) fn field_xpath(phone: &str, field: &str, text: &str) -> String {
    format!(
        "//article[@id='phone-{phone}']//*[@data-field='{field}' and normalize-space(.)='{text}']"
    )
}

/// The XPath of a text drawn on the phone's screen (its SVG).
pub(crate) fn screen_xpath(phone: &str, text: &str) -> String {
    format!(
        "//article[@id='phone-{phone}']//*[local-name()='svg']//*[normalize-space(text())='{text}']"
    )
}

/// The XPath of the `n`th status log row (1-based) whose pattern, message type and
/// notification status are these.
pub(crate) fn log_row(pattern: &str, message: &str, notification: &str, n: usize) -> String {
    format!("(//tbody[@id='log']/tr[td[2]='{pattern}' and td[3]='{message}' and td[7]='{notification}'])[{n}]")
}
