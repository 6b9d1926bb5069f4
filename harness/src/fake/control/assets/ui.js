// The fake MPNS's web view. It talks only to the documented control API (/_fake/openapi.json)
// and follows its event stream; every text that came from a sender is shown with textContent
// (never parsed as markup), and the phone's drawings go into <img>, where SVG runs nothing.
'use strict';

const MAX_NOTES = 100;
const MAX_CHANNELS = 200;

const state = { channels: new Map(), devices: new Map(), selected: null };

const $ = (css) => document.querySelector(css);

/** An element with attributes and children; strings become text nodes, never markup. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function say(text, isError) {
  const s = $('#status');
  s.textContent = text;
  s.classList.toggle('error', Boolean(isError));
}

/** A control API call, with the headers the fake's cross-site guard asks of a page. */
async function api(method, path, body) {
  const init = { method, headers: { 'X-Requested-With': 'fake-ui' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = body;
  }
  const r = await fetch(path, init);
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try {
      message = (await r.json()).error || message;
    } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return r.status === 204 ? null : r.json();
}

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) {
    if (v === undefined || v === null) continue;
    dl.append(el('dt', {}, k), el('dd', { 'data-field': k }, v));
  }
}

function deviceLine(d) {
  if (!d) return '';
  return [d.connection, d.subscription, `power ${d.power}`, d.app_running ? 'app running' : 'app closed'].join(' · ');
}

// ---- channels ---------------------------------------------------------------------------

async function loadChannels() {
  const list = await api('GET', '/_fake/channels');
  state.channels = new Map(list.map((c) => [c.id, c]));
  const shown = list.slice(-MAX_CHANNELS);
  await Promise.all(shown.map((c) => loadDevice(c.id, false)));
  drawChannels();
  if (state.selected !== null && !state.channels.has(state.selected)) select(null);
  else if (state.selected !== null) drawChannel();
}

async function loadDevice(id, redraw) {
  try {
    state.devices.set(id, await api('GET', `/_fake/channels/${id}/device`));
  } catch (_) {
    state.devices.delete(id);
  }
  if (redraw) {
    drawChannels();
    if (id === state.selected) drawChannel();
  }
}

function drawChannels() {
  const ul = $('#channels');
  const all = [...state.channels.values()];
  const shown = all.slice(-MAX_CHANNELS);
  ul.replaceChildren(...shown.map((c) => {
    const b = el('button', { type: 'button', 'data-channel': c.id, 'aria-current': c.id === state.selected ? 'true' : 'false' },
      `#${c.id} ${c.app}`, el('span', { class: 'state' }, `${c.device} · ${deviceLine(state.devices.get(c.id))}`));
    b.addEventListener('click', () => select(c.id));
    return el('li', {}, b);
  }));
  if (all.length > shown.length) ul.prepend(el('li', { class: 'hint' }, `${all.length - shown.length} older channels not shown`));
  $('#no-channels').hidden = all.length > 0;
}

function drawChannel() {
  const c = state.channels.get(state.selected);
  if (!c) {
    $('#channel-title').textContent = 'Select a channel';
    facts($('#channel-info'), []);
    facts($('#device'), []);
    return;
  }
  $('#channel-title').textContent = `Channel ${c.id}: ${c.app} on ${c.device}`;
  facts($('#channel-info'), [
    ['URI', c.uri], ['authenticated', c.authenticated ? `yes (${c.service_name || 'any service'})` : 'no'],
    ['OS version', c.os_version], ['sent today', c.sent_today], ['repeats', c.repeats],
    ['records dropped', c.records_dropped], ['callback', c.callback ? c.callback.uri : null],
  ]);
  const d = state.devices.get(c.id);
  facts($('#device'), d ? [
    ['connection', d.connection], ['subscription', d.subscription], ['power', d.power],
    ['app running', d.app_running ? 'yes' : 'no'], ['bound to tile', d.bound_tile ? 'yes' : 'no'],
    ['bound to toast', d.bound_toast ? 'yes' : 'no'], ['primary tile pinned', d.primary_tile_pinned ? 'yes' : 'no'],
    ['secondary tiles', d.secondary_tiles.length ? d.secondary_tiles.join(', ') : 'none'],
    ['queue', `${d.queued} of ${d.queue_capacity}`],
  ] : []);
}

async function select(id) {
  state.selected = id;
  drawChannels();
  drawChannel();
  $('#notes').replaceChildren();
  $('#notes-note').textContent = '';
  if (id === null) return;
  try {
    const r = await fetch(`/_fake/channels/${id}/notifications`);
    if (!r.ok) throw new Error(`${r.status}`);
    const records = await r.json();
    if (state.selected !== id) return;
    const dropped = Number(r.headers.get('X-Fake-Records-Dropped') || 0);
    const older = Math.max(0, records.length - MAX_NOTES);
    const notes = [older ? `${older} older not shown.` : '', dropped ? `${dropped} dropped by the log's limits.` : '']
      .filter(Boolean).join(' ');
    $('#notes-note').textContent = records.length ? notes : 'Nothing sent to this channel yet.';
    for (const rec of records.slice(-MAX_NOTES)) addNote(rec, false);
  } catch (e) {
    say(`Could not read channel ${id}'s notifications: ${e.message}`, true);
  }
}

// ---- notifications ----------------------------------------------------------------------

function header(rec, name) {
  const h = rec.headers.find(([k]) => k.toLowerCase() === name);
  return h ? h[1] : null;
}

/** Indented XML as text (the DOM parser reads it; nothing of it reaches the page as markup). */
function prettyXml(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return null;
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const out = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<?xml')) out.push(trimmed.slice(0, trimmed.indexOf('?>') + 2));
  const walk = (node, depth) => {
    const pad = '  '.repeat(depth);
    if (node.nodeType === Node.ELEMENT_NODE) {
      const attrs = [...node.attributes].map((a) => ` ${a.name}="${esc(a.value)}"`).join('');
      const kids = [...node.childNodes].filter((n) => !(n.nodeType === Node.TEXT_NODE && !n.nodeValue.trim()));
      if (!kids.length) out.push(`${pad}<${node.nodeName}${attrs}/>`);
      else if (kids.length === 1 && kids[0].nodeType === Node.TEXT_NODE) {
        out.push(`${pad}<${node.nodeName}${attrs}>${esc(kids[0].nodeValue)}</${node.nodeName}>`);
      } else {
        out.push(`${pad}<${node.nodeName}${attrs}>`);
        kids.forEach((k) => walk(k, depth + 1));
        out.push(`${pad}</${node.nodeName}>`);
      }
    } else if (node.nodeType === Node.TEXT_NODE) out.push(pad + esc(node.nodeValue.trim()));
    else if (node.nodeType === Node.CDATA_SECTION_NODE) out.push(`${pad}<![CDATA[${node.nodeValue}]]>`);
    else if (node.nodeType === Node.COMMENT_NODE) out.push(`${pad}<!--${node.nodeValue}-->`);
  };
  walk(doc.documentElement, 0);
  return out.join('\n');
}

function hexDump(bytes) {
  const lines = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.slice(at, at + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47);
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex}  ${ascii}`);
  }
  return lines.join('\n') || '(empty)';
}

function deliveryText(d) {
  if (!d) return '';
  switch (d.state) {
    case 'queued': return `queued, due at ${(d.due_at_ms / 1000).toFixed(3)} s`;
    case 'delivered': return `delivered at ${(d.at_ms / 1000).toFixed(3)} s`;
    case 'discarded': return `discarded: ${d.reason}`;
    default: return 'not queued';
  }
}

function addNote(rec, fresh) {
  if (document.getElementById(`note-${rec.seq}`)) return;
  const a = rec.response;
  const answer = [a.status, a.notification, a.device, a.subscription].filter(Boolean).join(' ');
  const kind = rec.target || (rec.content ? rec.content.type : 'unknown');
  const article = el('article', { class: fresh ? 'note fresh' : 'note', id: `note-${rec.seq}`, 'data-seq': rec.seq, 'data-status': a.status },
    el('h4', {}, `#${rec.seq} ${kind} at ${(rec.received_at_ms / 1000).toFixed(3)} s → `, el('span', { class: 'answer' }, answer)));

  const answerFacts = el('dl', { class: 'facts answer-facts' });
  facts(answerFacts, [
    ['status', a.status], ['X-NotificationStatus', a.notification], ['X-DeviceConnectionStatus', a.device],
    ['X-SubscriptionStatus', a.subscription], ['X-MessageID', rec.message_id], ['fate', rec.fate],
    ['delivery', deliveryText(deliveries.get(rec.seq) || rec.delivery)], ['repeat', rec.repeat ? `${rec.repeat} earlier` : null],
  ]);

  const headers = el('table', { class: 'headers' },
    el('tbody', {}, el('tr', {}, el('td', {}, rec.method), el('td', {}, rec.path)),
      ...rec.headers.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v)))));

  const payload = el('div', { class: 'payload' });
  const looksXml = (header(rec, 'content-type') || '').includes('xml') || rec.body.trimStart().startsWith('<');
  const pretty = kind !== 'raw' && looksXml ? prettyXml(rec.body) : null;
  payload.append(el('pre', { class: pretty ? 'xml' : 'text' }, pretty !== null ? pretty : rec.body || '(empty body)'));
  if (kind === 'raw' || rec.body.includes('\uFFFD')) {
    const hex = el('pre', { class: 'hex' }, 'reading the bytes…');
    payload.append(el('p', { class: 'hint' }, 'Bytes as sent:'), hex);
    fetch(`/_fake/channels/${rec.channel}/notifications/${rec.seq}/body`)
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${r.status}`))))
      .then((buf) => { hex.textContent = hexDump(new Uint8Array(buf)); })
      .catch((e) => { hex.textContent = `could not read the bytes: ${e.message}`; });
  }

  const lint = rec.diagnostics.length
    ? el('ul', { class: 'lint' }, ...rec.diagnostics.map((d) => el('li', {}, d)))
    : el('p', { class: 'hint lint-none' }, 'No diagnostics.');

  const screen = el('div', { class: 'screen' }, el('p', { class: 'hint' }, 'drawing…'));
  drawScreen(rec, screen);

  article.append(el('div', { class: 'parts' },
    el('div', {}, el('h5', {}, 'Answer'), answerFacts),
    el('div', {}, el('h5', {}, 'Lint'), lint),
    el('div', { class: 'wide' }, el('h5', {}, 'Request headers'), headers),
    el('div', { class: 'wide' }, el('h5', {}, 'Payload'), payload),
    el('div', { class: 'wide' }, el('h5', {}, 'On the phone'), screen)));

  const notes = $('#notes');
  const after = [...notes.children].find((n) => Number(n.dataset.seq) < rec.seq);
  notes.insertBefore(article, after || null);
  while (notes.children.length > MAX_NOTES) notes.lastElementChild.remove();
  $('#notes-note').textContent = $('#notes-note').textContent.replace('Nothing sent to this channel yet.', '');
}

async function drawScreen(rec, box) {
  if (rec.channel === null || rec.channel === undefined) {
    box.replaceChildren(el('p', { class: 'hint' }, 'No channel: nothing reached a phone.'));
    return;
  }
  try {
    const r = await fetch(`/_fake/channels/${rec.channel}/notifications/${rec.seq}/render`);
    if (!r.ok) {
      let why = `${r.status}`;
      try { why = (await r.json()).error || why; } catch (_) { /* not JSON */ }
      box.replaceChildren(el('p', { class: 'hint render-note' }, why));
      return;
    }
    const url = URL.createObjectURL(await r.blob());
    const img = el('img', { alt: `notification ${rec.seq} as the phone shows it`, src: url });
    img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    box.replaceChildren(img);
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, `could not draw it: ${e.message}`));
  }
}

// Delivery news by record number. The fake announces a delivery made at once (a connected
// device) before the notification's own event, whose record still says "queued": the news is
// kept until the record is drawn.
const deliveries = new Map();

function setDelivery(seq, delivery) {
  deliveries.set(seq, delivery);
  if (deliveries.size > 1000) deliveries.delete(deliveries.keys().next().value);
  const text = deliveryText(delivery);
  const dd = document.querySelector(`#note-${seq} .answer-facts dd[data-field="delivery"]`);
  if (dd) dd.textContent = text;
}

// ---- faults -----------------------------------------------------------------------------

function describeFault(f) {
  const parts = [f.action];
  if (f.action === 'delay') parts.push(`${f.delay_ms} ms`);
  if (f.channel !== null && f.channel !== undefined) parts.push(`channel ${f.channel}`);
  if (f.target) parts.push(f.target);
  if (f.class) parts.push(`class ${f.class}`);
  if (f.probability !== null && f.probability !== undefined) parts.push(`p=${f.probability} seed ${f.seed}`);
  parts.push(f.remaining === null ? 'every request' : `${f.remaining} left`);
  parts.push(`applied ${f.applied}`);
  return `#${f.id}: ${parts.join(' · ')}`;
}

async function loadFaults() {
  const list = await api('GET', '/_fake/faults');
  $('#faults').replaceChildren(...list.map((f) => {
    const b = el('button', { type: 'button', 'data-fault': f.id }, 'Remove');
    b.addEventListener('click', async () => {
      try {
        await api('DELETE', `/_fake/faults/${f.id}`);
        say(`Removed fault rule ${f.id}.`);
      } catch (e) {
        say(`Could not remove fault rule ${f.id}: ${e.message}`, true);
      }
      loadFaults();
    });
    return el('li', { 'data-fault': f.id }, el('span', { class: 'rule' }, describeFault(f)), ' ', b);
  }));
  $('#no-faults').hidden = list.length > 0;
}

async function addFault(event) {
  event.preventDefault();
  const text = $('#fault-json').value;
  try {
    JSON.parse(text);
  } catch (e) {
    say(`The rule is not JSON: ${e.message}`, true);
    return;
  }
  try {
    const made = await api('POST', '/_fake/faults', text);
    say(`Added fault rule ${made.id}.`);
  } catch (e) {
    say(`The fake refused the rule: ${e.message}`, true);
  }
  loadFaults();
}

async function clearFaults() {
  try {
    await api('DELETE', '/_fake/faults');
    say('Cleared every fault rule.');
  } catch (e) {
    say(`Could not clear the rules: ${e.message}`, true);
  }
  loadFaults();
}

// ---- clock and the event stream ---------------------------------------------------------

function showClock(c) {
  $('#clock').textContent = `clock ${(c.now_ms / 1000).toFixed(3)} s${c.virtual ? ' (virtual)' : ''}`;
}

async function reloadAll() {
  try {
    showClock(await api('GET', '/_fake/clock'));
    await Promise.all([loadChannels(), loadFaults()]);
    if (state.selected !== null) await select(state.selected);
  } catch (e) {
    say(`Could not read the fake's state: ${e.message}`, true);
  }
}

// What the stream announced, applied together a moment later: a sender's burst of thousands of
// notifications costs the page (and the fake) one redraw and one read per channel, not one per
// notification.
const later = { records: [], channels: new Set(), allChannels: false, faults: false, timer: null };

function soon() {
  if (later.timer === null) later.timer = setTimeout(applyLater, 200);
}

function applyLater() {
  later.timer = null;
  const records = later.records.splice(0);
  for (const rec of records.slice(-MAX_NOTES)) {
    if (rec.channel === state.selected) addNote(rec, true);
  }
  if (later.allChannels) {
    later.allChannels = false;
    later.channels.clear();
    loadChannels().catch(() => {});
  }
  for (const id of later.channels) {
    api('GET', `/_fake/channels/${id}`).then((c) => {
      state.channels.set(c.id, c);
      if (c.id === state.selected) drawChannel();
    }).catch(() => {});
    loadDevice(id, true);
  }
  later.channels.clear();
  if (later.faults) {
    later.faults = false;
    loadFaults().catch(() => {});
  }
}

function listen() {
  const events = new EventSource('/_fake/events');
  const on = (name, handle) => events.addEventListener(name, (e) => {
    let data;
    try { data = JSON.parse(e.data); } catch (_) { return; }
    handle(data);
  });
  events.addEventListener('open', () => {
    $('#conn').textContent = 'live';
    $('#conn').classList.add('live');
    reloadAll();
  });
  events.addEventListener('error', () => {
    $('#conn').textContent = 'reconnecting';
    $('#conn').classList.remove('live');
  });
  on('notification', ({ record }) => {
    if (record.channel !== null && record.channel === state.selected) {
      later.records.push(record);
      if (later.records.length > MAX_NOTES) later.records.shift();
    }
    // Only the selected channel's facts change with each send (sent today, its queue); the list
    // shows what changes with device events.
    if (record.channel !== null && record.channel === state.selected) later.channels.add(record.channel);
    soon();
  });
  on('fault_applied', () => { later.faults = true; soon(); });
  on('delivered', ({ seq, at_ms, channel }) => {
    setDelivery(seq, { state: 'delivered', at_ms });
    if (channel === state.selected) later.channels.add(channel);
    soon();
  });
  on('discarded', ({ seq, reason, channel }) => {
    setDelivery(seq, { state: 'discarded', reason });
    if (channel === state.selected) later.channels.add(channel);
    soon();
  });
  on('channel_created', () => { later.allChannels = true; soon(); });
  on('channel_rotated', () => { later.allChannels = true; soon(); });
  on('device_changed', ({ device }) => {
    for (const c of state.channels.values()) if (c.device === device) later.channels.add(c.id);
    soon();
  });
  on('clock_advanced', (c) => showClock({ now_ms: c.now_ms, virtual: true }));
  on('notifications_cleared', ({ channel }) => {
    if (state.selected !== null && (channel === null || channel === state.selected)) select(state.selected);
  });
  on('reset', () => { state.selected = null; reloadAll(); select(null); });
  on('lagged', () => reloadAll());
}

document.addEventListener('DOMContentLoaded', () => {
  $('#fault-form').addEventListener('submit', addFault);
  $('#faults-clear').addEventListener('click', clearFaults);
  listen();
});
