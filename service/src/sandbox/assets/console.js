// The sandbox console: plain JavaScript, no build step, no network beyond this server.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

const HTTP_NAMES = {200: "OK", 400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
  405: "MethodNotAllowed", 406: "NotAcceptable", 412: "PreconditionFailed", 503: "ServiceUnavailable"};
const BACKGROUNDS = {"/Resources/TileImages/TileBackground1.jpg": "bg1",
  "/Resources/TileImages/TileBackground2.jpg": "bg2", "/Resources/TileImages/TileBackground3.jpg": "bg3"};

let clockBase = null; // [server ms, local ms when read]
let lastLogId = 0;
const logRows = new Map(); // id -> entry

// The operator's token, when the server asks for one (401): asked once, kept for this tab.
const TOKEN_KEY = "mpns-operator-token";

function askToken() {
  const t = window.prompt("This server needs the operator's token (--operator-token):");
  if (t) sessionStorage.setItem(TOKEN_KEY, t.trim());
  return !!t;
}

async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    // X-Mpns-Operator: a page of another site cannot send it without a CORS preflight.
    const init = {method, headers: {"x-mpns-operator": "1"}};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) init.headers["authorization"] = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 401 && attempt === 0) {
      // Another call may have just asked: use its token rather than asking again.
      if (token !== sessionStorage.getItem(TOKEN_KEY)) continue;
      sessionStorage.removeItem(TOKEN_KEY);
      if (askToken()) { connectEvents(); continue; }
    }
    return readAnswer(res);
  }
}

async function readAnswer(res) {
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!res.ok) {
    const msg = data && data.error ? data.error.message : `${res.status} ${text}`;
    throw new Error(msg);
  }
  return data;
}

function say(text, isError) {
  const el = $("#send-result");
  el.textContent = text;
  el.className = isError ? "error" : "ok";
}

// ---- pattern tabs ----------------------------------------------------------------------

function selectTab(pattern, focus) {
  for (const tab of $$("[role=tab]")) {
    const on = tab.dataset.pattern === pattern;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
  }
  for (const panel of $$("[role=tabpanel]")) panel.hidden = panel.dataset.pattern !== pattern;
}

async function activate(pattern) {
  selectTab(pattern, false);
  try {
    const r = await api("POST", "/api/patterns/active", {pattern});
    say(`${r.push_pattern} is active; Update Info sent to ${r.subscribers} subscriber(s).`);
  } catch (e) { say(`Activating failed: ${e.message}`, true); }
}

function formBody(form) {
  const f = form.elements;
  switch (form.dataset.pattern) {
    case "one-time": return {
      tile: f.tile.checked, toast: f.toast.checked, raw: f.raw.checked,
      count: Number(f.count.value), title: f.title.value, background_image: f.background_image.value,
      toast_title: f.toast_title.value, toast_subtitle: f.toast_subtitle.value, raw_message: f.raw_message.value};
    case "counter": return {title: f.title.value, background_image: f.background_image.value, raw_message: f.raw_message.value};
    case "ask-to-pin": return {count: Number(f.count.value), title: f.title.value, background_image: f.background_image.value};
    case "custom-tile": {
      const body = {text: f.text.value, size: Number(f.size.value), color: f.color.value, background: f.background.value};
      if (f.with_count.checked) body.count = Number(f.count.value);
      if (f.with_title.checked) body.title = f.title.value;
      return body;
    }
  }
  return {};
}

function updatePreview(form) {
  const f = form.elements;
  for (const out of $$("output", form)) {
    const input = f[out.name.replace(/-out$/, "")];
    if (input) out.value = input.value;
  }
  const preview = $(".tile-preview", form);
  if (preview) {
    preview.className = "tile-preview " + (BACKGROUNDS[f.background_image.value] || "") +
      (form.dataset.pattern === "counter" ? " nocount" : "");
    const count = f.count ? Number(f.count.value) : 0;
    const badge = $(".badge", preview);
    badge.textContent = count > 0 ? String(count) : "";
    badge.hidden = count === 0;
    $(".ttitle", preview).textContent = f.title.value;
  }
  const custom = $(".custom-preview", form);
  if (custom) {
    const q = new URLSearchParams({text: f.text.value, size: f.size.value, color: f.color.value, background: f.background.value});
    custom.src = "/images/custom.png?" + q.toString();
  }
}

function setupTabs() {
  const tabs = $$("[role=tab]");
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => activate(tab.dataset.pattern));
    tab.addEventListener("keydown", (e) => {
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
      if (e.key === "ArrowLeft") j = (i + tabs.length - 1) % tabs.length;
      if (j !== null) { e.preventDefault(); tabs[j].focus(); tabs[j].click(); }
    });
  });
  for (const form of $$("form.panel")) {
    form.addEventListener("input", () => updatePreview(form));
    form.addEventListener("change", () => updatePreview(form));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const pattern = form.dataset.pattern;
      try {
        const r = await api("POST", `/api/patterns/${pattern}/send`, formBody(form));
        say(`Sent ${pattern} to ${r.subscribers} subscriber(s).`);
      } catch (err) { say(`Send failed: ${err.message}`, true); }
      scheduleRefresh("batches");
    });
    updatePreview(form);
  }
}

// ---- subscribers and the status log ----------------------------------------------------

function dot(value, colours) {
  const span = document.createElement("span");
  const v = value == null ? "–" : String(value);
  span.className = "dot " + (colours[v] || "black");
  span.textContent = v;
  return span;
}

const CONNECTION = {Connected: "green", TempDisconnected: "red", Inactive: "grey", Disconnected: "red"};
const SUBSCRIPTION = {Active: "green", Expired: "red"};
const NOTIFICATION = {Received: "green", QueueFull: "red", Suppressed: "grey", Dropped: "grey"};

function logRow(e) {
  const tr = document.createElement("tr");
  tr.tabIndex = 0;
  tr.dataset.id = e.id;
  const status = e.http_status == null ? "no answer" : `${e.http_status} ${HTTP_NAMES[e.http_status] || ""}`.trim();
  const cells = [String(e.id), e.pattern, e.message_type];
  for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
  const s = document.createElement("td"); s.appendChild(dot(status, {[status]: e.http_status === 200 ? "green" : "red"})); tr.appendChild(s);
  const c = document.createElement("td"); c.appendChild(dot(e.device_connection_status, CONNECTION)); tr.appendChild(c);
  const u = document.createElement("td"); u.appendChild(dot(e.subscription_status, SUBSCRIPTION)); tr.appendChild(u);
  const n = document.createElement("td"); n.appendChild(dot(e.notification_status, NOTIFICATION)); tr.appendChild(n);
  tr.dataset.status = String(e.http_status);
  const pick = () => showDetails(e, tr);
  tr.addEventListener("click", pick);
  tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
  return tr;
}

function showDetails(e, tr) {
  for (const row of $$("#log tr")) row.removeAttribute("aria-selected");
  tr.setAttribute("aria-selected", "true");
  const dl = $("#log-details");
  dl.replaceChildren();
  const add = (k, v) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  };
  add("Time", e.at);
  add("Message id", e.message_id || "–");
  add("Channel URI", e.channel_uri);
  add("Platform", e.platform === "wns" ? "WNS (Windows 10/11)" : "MPNS (Windows Phone)");
  if (e.error) add("Error", e.error);
}

async function refreshLog() {
  const r = await api("GET", `/api/status-log?after=${lastLogId}&limit=1000`);
  const body = $("#log");
  for (const e of r.entries) {
    if (logRows.has(e.id)) continue; // two refreshes crossed
    lastLogId = Math.max(lastLogId, e.id);
    logRows.set(e.id, e);
    body.prepend(logRow(e)); // newest first
  }
}

async function refreshBatches() {
  const r = await api("GET", "/api/batches?limit=10");
  const body = $("#batches");
  body.replaceChildren();
  for (const b of r.batches) {
    const tr = document.createElement("tr");
    tr.dataset.id = b.id;
    const waiting = b.waiting ? `${b.waiting} until ${b.waiting_until}` : "0";
    const cells = [String(b.id), b.pattern, b.origin, String(b.queued), String(b.in_flight), waiting,
      String(b.delivered), String(b.given_up), b.cancelled ? `${b.cancelled_jobs} (batch cancelled)` : String(b.cancelled_jobs)];
    const fields = ["id", "pattern", "origin", "queued", "in_flight", "waiting", "delivered", "given_up", "cancelled"];
    cells.forEach((c, i) => {
      const td = document.createElement("td"); td.textContent = c; td.dataset.field = fields[i]; tr.appendChild(td);
    });
    const action = document.createElement("td");
    if (!b.cancelled && b.queued + b.waiting + b.in_flight > 0) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = "Cancel";
      btn.setAttribute("aria-label", `Cancel batch ${b.id}`);
      btn.addEventListener("click", async () => {
        try {
          const c = await api("POST", `/api/batches/${b.id}/cancel`);
          say(`Batch ${b.id} cancelled: ${c.cancelled} job(s) will not be sent.`);
        } catch (err) { say(`Cancelling failed: ${err.message}`, true); }
        scheduleRefresh("batches");
      });
      action.appendChild(btn);
    }
    tr.appendChild(action);
    body.appendChild(tr);
  }
}

async function refreshSubscribers() {
  const r = await api("GET", "/api/subscribers");
  $("#sub-count").textContent = r.count;
  const body = $("#subs");
  body.replaceChildren();
  for (const s of r.subscribers) {
    const tr = document.createElement("tr");
    // A break opportunity after each "/" lets a long outcome wrap between its parts.
    for (const v of [s.user_name, s.os_version, (s.last_outcome || "–").replaceAll("/", "/\u200b")]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

// ---- phones ---------------------------------------------------------------------------

function phoneCard(p) {
  const card = document.createElement("article");
  card.className = "phone";
  card.id = "phone-" + p.name;
  card.dataset.phone = p.name;
  card.setAttribute("aria-labelledby", `phone-h-${p.name}`);
  card.innerHTML = `
    <h3 id="phone-h-${p.name}"></h3>
    <p class="situation"></p>
    <div class="screen" role="img"></div>
    <dl class="facts">
      <dt>Tile count</dt><dd data-field="count"></dd>
      <dt>Tile image</dt><dd data-field="image" class="uri"></dd>
      <dt>Connection</dt><dd data-field="connection"></dd>
      <dt>Power</dt><dd data-field="power"></dd>
      <dt>App</dt><dd data-field="app"></dd>
      <dt>Channel</dt><dd data-field="channel" class="uri"></dd>
    </dl>
    <div class="prompt" role="alertdialog" aria-labelledby="prompt-h-${p.name}" hidden>
      <h4 id="prompt-h-${p.name}" data-field="prompt-title"></h4>
      <p data-field="prompt-text"></p>
      <label><input type="checkbox" data-role="show-again"> Show this message again</label>
      <button type="button" data-action="dismiss-prompt">OK</button>
    </div>
    <h4>Latest toast</h4><p data-field="toast" class="toast"></p>
    <h4>Raw inbox</h4><ol data-field="inbox" class="inbox"></ol>
    <details><summary>Recent events</summary><ol data-field="events" class="events"></ol></details>
    <div class="controls">
      <label>Connection <select data-action="connection" data-key="connection">
        <option>Connected</option><option>TempDisconnected</option><option>Disconnected</option><option>Inactive</option></select></label>
      <label>Power <select data-action="power" data-key="level">
        <option>Normal</option><option>Low</option><option>CriticalLow</option></select></label>
      <label>App <select data-action="app" data-key="state">
        <option value="foreground">foreground</option><option value="background">background</option><option value="closed">closed</option></select></label>
      <button type="button" data-action="pin">Pin tile</button>
      <button type="button" data-action="unpin">Unpin tile</button>
      <button type="button" data-action="expire">Expire subscription</button>
      <button type="button" data-action="unknown-error" title="The channel raises ErrorOccurred with ChannelErrorType.Unknown and stays open">Raise Unknown error</button>
      <button type="button" data-action="register">Register again</button>
      <label>Number <select data-role="number">${Array.from({length: 10}, (_, i) => `<option>${i}</option>`).join("")}</select></label>
      <button type="button" data-action="test-now">Test Now</button>
    </div>`;
  $("h3", card).textContent = `${p.user} · ${p.name} · WP ${p.os}`;
  for (const sel of $$("select[data-action]", card)) {
    sel.setAttribute("aria-label", `${sel.dataset.action} of ${p.name}`);
    sel.addEventListener("change", () => control(p.name, sel.dataset.action, {[sel.dataset.key]: sel.value}));
  }
  for (const btn of $$("button", card)) {
    const bodies = {
      "test-now": () => ({number: Number($("[data-role=number]", card).value)}),
      "dismiss-prompt": () => ({show_again: $("[data-role=show-again]", card).checked}),
    };
    const body = bodies[btn.dataset.action] || (() => undefined);
    btn.addEventListener("click", () => control(p.name, btn.dataset.action, body()));
  }
  return card;
}

async function control(name, action, body) {
  try {
    await api("POST", `/console/api/phones/${encodeURIComponent(name)}/${action}`, body);
    say(`${name}: ${action} done.`);
  } catch (e) { say(`${name}: ${action} failed: ${e.message}`, true); }
  scheduleRefresh("phones");
}

function setField(card, field, text) {
  const el = $(`[data-field=${field}]`, card);
  if (el.textContent !== text) el.textContent = text;
}

function renderPhone(p) {
  let card = document.getElementById("phone-" + p.name);
  if (!card) {
    const loading = document.getElementById("phones-loading");
    if (loading) loading.remove();
    card = phoneCard(p);
    $("#phones").appendChild(card);
  }
  $(".situation", card).textContent = `Started ${p.situation}`;
  const screen = $(".screen", card);
  if (screen.dataset.svg !== p.svg) {
    screen.dataset.svg = p.svg;
    screen.innerHTML = p.svg; // drawn by the phone emulator, which escapes its text
    screen.setAttribute("aria-label", `Start screen of ${p.name}`);
  }
  setField(card, "count", p.tile ? String(p.tile.count) : "not pinned");
  // The screen cuts a long image URI; the card shows it whole (Custom Tile, Tile Schedule).
  setField(card, "image", p.tile ? (p.tile.background_image || "none") : "–");
  setField(card, "connection", p.connection);
  setField(card, "power", p.power);
  setField(card, "app", p.app_state);
  setField(card, "channel", p.channel ? `${p.channel.uri}${p.channel.toast_bound ? " · toast" : ""}${p.channel.tile_bound ? " · tile" : ""}` : "no channel");
  setField(card, "toast", p.toast ? `${p.toast.text1} — ${p.toast.text2} (${p.toasts} shown)` : "none");
  const inbox = $("[data-field=inbox]", card);
  const inboxText = p.inbox.map((m) => m.text).join("\n");
  if (inbox.dataset.text !== inboxText) {
    inbox.dataset.text = inboxText;
    inbox.replaceChildren(...(p.inbox.length ? p.inbox.map((m) => { const li = document.createElement("li"); li.textContent = m.text; return li; })
      : [Object.assign(document.createElement("li"), {textContent: "empty", className: "empty"})]));
  }
  const prompt = $(".prompt", card);
  if (p.prompt) {
    setField(card, "prompt-title", `${p.prompt.title} (Push Patterns app)`);
    setField(card, "prompt-text", p.prompt.text);
    if (prompt.hidden) $("[data-role=show-again]", card).checked = p.prompt.show_again;
  }
  prompt.hidden = !p.prompt;
  const events = $("[data-field=events]", card);
  events.replaceChildren(...p.events.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
  const values = {connection: p.connection, power: p.power, app: p.app_state};
  for (const sel of $$("select[data-action]", card)) {
    if (document.activeElement !== sel) sel.value = values[sel.dataset.action];
  }
  $("[data-action=pin]", card).disabled = p.pinned;
  $("[data-action=unpin]", card).disabled = !p.pinned;
}

// The Windows PC (WNS): drawn like a phone, without the phone's controls.
function renderWindows(w) {
  let card = document.getElementById("windows-" + w.name);
  if (!card) {
    card = document.createElement("article");
    card.className = "phone windows";
    card.id = "windows-" + w.name;
    card.dataset.windows = w.name;
    card.setAttribute("aria-labelledby", `windows-h-${w.name}`);
    card.innerHTML = `
      <h3 id="windows-h-${w.name}"></h3>
      <p class="situation">Started with the app's background task registered (WNS)</p>
      <div class="screen" role="img"></div>
      <dl class="facts">
        <dt>Badge</dt><dd data-field="badge"></dd>
        <dt>Channel</dt><dd data-field="channel" class="uri"></dd>
      </dl>
      <h4>Notification center</h4><ol data-field="toasts" class="inbox"></ol>
      <h4>Raw to the background task</h4><ol data-field="raws" class="inbox"></ol>
      <details><summary>Recent events</summary><ol data-field="events" class="events"></ol></details>`;
    $("h3", card).textContent = `${w.user} · ${w.name} · ${w.os}`;
    $("#phones").appendChild(card);
  }
  const screen = $(".screen", card);
  if (screen.dataset.svg !== w.svg) {
    screen.dataset.svg = w.svg;
    screen.innerHTML = w.svg; // drawn by the Windows emulator, which escapes its text
    screen.setAttribute("aria-label", `Screen of ${w.name}`);
  }
  setField(card, "badge", w.badge || "none");
  setField(card, "channel", w.channel);
  const list = (field, items) => {
    const el = $(`[data-field=${field}]`, card);
    el.replaceChildren(...(items.length ? items.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; })
      : [Object.assign(document.createElement("li"), {textContent: "empty", className: "empty"})]));
  };
  list("toasts", w.toasts);
  list("raws", w.raws);
  list("events", w.events);
}

async function refreshState() {
  const s = await api("GET", "/console/api/state");
  clockBase = [s.now_ms, Date.now()];
  $("#advanced").textContent = s.advanced_seconds ? `(${s.advanced_seconds} s ahead of real time)` : "";
  tickClock();
  for (const p of s.phones) renderPhone(p);
  for (const w of s.windows || []) renderWindows(w);
  const faults = (s.faults || []).filter((f) => f.remaining == null || f.remaining > 0);
  const describe = (f) => `${f.action === "status_503" ? "503" : f.action} for ${f.remaining == null ? "every send" : `the next ${f.remaining} send(s)`} (${f.applied} so far)`;
  $("#faults").textContent = faults.length ? `Fault rules: ${faults.map(describe).join("; ")}.` : "No fault rules.";
  const req = s.tile_requests && s.tile_requests[0];
  if (req) {
    const form = $("#panel-tile-schedule");
    form.elements.last_image.value = `number${req.number}.png (${req.user_name})`;
    const img = $(".schedule-preview", form);
    img.src = `/images/numbers/${req.number}.png`;
    img.hidden = false;
  }
}

function tickClock() {
  if (!clockBase) return;
  const t = new Date(clockBase[0] + (Date.now() - clockBase[1]));
  const el = $("#clock");
  el.dateTime = t.toISOString();
  el.textContent = t.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// ---- live updates ---------------------------------------------------------------------

const pending = new Set();
let timer = null;
function scheduleRefresh(what) {
  pending.add(what);
  if (timer) return;
  timer = setTimeout(async () => {
    const todo = new Set(pending);
    pending.clear();
    timer = null;
    const all = todo.has("all");
    try {
      const jobs = [];
      if (all || todo.has("phones") || todo.has("clock")) jobs.push(refreshState());
      if (all || todo.has("log")) jobs.push(refreshLog());
      if (all || todo.has("log") || todo.has("clock") || todo.has("batches")) jobs.push(refreshBatches());
      if (all || todo.has("log") || todo.has("subscribers")) jobs.push(refreshSubscribers());
      await Promise.all(jobs);
    } catch (e) { say(`Refresh failed: ${e.message}`, true); }
  }, 50);
}

let events = null;

function connectEvents() {
  // EventSource cannot send headers: the token goes in the query, for this route only.
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (events) events.close();
  const es = new EventSource("/console/api/events" + (token ? `?access_token=${encodeURIComponent(token)}` : ""));
  events = es;
  const pill = $("#conn");
  es.onopen = () => { pill.textContent = "live"; pill.className = "pill live"; scheduleRefresh("all"); };
  es.onerror = () => { pill.textContent = "reconnecting…"; pill.className = "pill"; };
  for (const what of ["phones", "log", "subscribers", "clock", "all"]) {
    es.addEventListener(what, () => scheduleRefresh(what));
  }
}

async function start() {
  setupTabs();
  $("#fault-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const count = Number(e.target.elements.count.value);
    try { await api("POST", "/console/api/faults", {count}); say(`The next ${count} send(s) get 503.`); }
    catch (err) { say(`Adding the fault failed: ${err.message}`, true); }
    scheduleRefresh("phones");
  });
  $("#clear-faults").addEventListener("click", async () => {
    try { await api("DELETE", "/console/api/faults"); say("Fault rules cleared."); }
    catch (err) { say(`Clearing faults failed: ${err.message}`, true); }
    scheduleRefresh("phones");
  });
  $("#clock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const seconds = Number(e.target.elements.seconds.value);
    try { await api("POST", "/console/api/clock/advance", {seconds}); say(`Clock advanced by ${seconds} s.`); }
    catch (err) { say(`Advancing failed: ${err.message}`, true); }
    scheduleRefresh("clock");
  });
  try {
    const p = await api("GET", "/api/patterns");
    selectTab(p.active, false);
  } catch (e) { say(`Cannot read the patterns: ${e.message}`, true); }
  scheduleRefresh("all");
  connectEvents();
  setInterval(tickClock, 1000);
}

start();
