/// The console's script: loads the lab API once, then follows `GET /lab/events` (server-sent
/// events). It re-reads the lab API only after a reconnect or a gap in the event sequence.
/// Every value from the server goes into the page as text, never as markup.
enum ConsoleScript {
    static let source = #"""
'use strict';
const $ = (id) => document.getElementById(id);
const S = {
  info: null, calls: new Map(), sessions: new Map(), messages: new Map(), tasks: [], world: null,
  lastSeq: 0, phoneCall: null, heard: new Set(), openCall: null, clockBase: null, mediaShown: new Set(), framesFor: null,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const short = (id) => (id || '').slice(0, 8);
const badge = (state) => el('span', { class: 'state ' + (state || ''), text: state || '?' });
function secs(value) {
  if (value == null || !isFinite(value)) return '';
  if (value < 60) return value.toFixed(1) + ' s';
  const m = Math.floor(value / 60), s = Math.floor(value % 60);
  return m + ':' + String(s).padStart(2, '0');
}
function clock(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

// ---- lab API -----------------------------------------------------------------------------
async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (response.status === 401) { askToken(); throw new Error('this server needs its lab token'); }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!response.ok) throw new Error((json && json.error) || (response.status + ' ' + response.statusText));
  return json;
}

function askToken() {
  const dialog = $('token-dialog');
  if (!dialog.open) dialog.showModal();
}
$('token-form').addEventListener('submit', () => {
  document.cookie = 'relay_lab_token=' + encodeURIComponent($('token').value) + '; path=/; SameSite=Strict';
  location.reload();
});

async function loadAll() {
  try {
    const [info, calls, sessions, messages, tasks, world] = await Promise.all([
      api('GET', '/lab/info'), api('GET', '/lab/calls'), api('GET', '/lab/sessions'), api('GET', '/lab/messages'),
      api('GET', '/lab/tasks'), api('GET', '/lab/world')]);
    S.info = info; S.world = world;
    setClock(info.now);
    S.calls.clear();
    for (const call of calls.calls) {
      const last = call.timeline.length ? call.timeline[call.timeline.length - 1].time : 0;
      S.calls.set(call.call_id, Object.assign(call, { seenAt: performance.now() - last * 1000 / speed() }));
    }
    S.sessions = new Map(sessions.sessions.map((s) => [s.sessionid, s]));
    S.messages = new Map(messages.messages.map((m) => [m.message_id, m]));
    S.tasks = tasks.tasks;
    $('endpoint').textContent = info.websocket || '';
    $('clock-mode').textContent = info.clock === 'manual' ? 'manual clock · paused' : 'speed ×' + info.speed;
    $('clock-manual').hidden = info.clock !== 'manual';
    renderAll();
    renderWorld();
  } catch (error) {
    $('live-text').textContent = 'cannot load: ' + error.message;
  }
}
const speed = () => (S.info && S.info.clock !== 'manual' ? S.info.speed : 1);

// ---- live events ---------------------------------------------------------------------------
let reloadTimer = null;
function reloadSoon() { clearTimeout(reloadTimer); reloadTimer = setTimeout(loadAll, 150); }

function connect() {
  const source = new EventSource('/lab/events');
  let opened = false;
  source.onopen = () => {
    $('live').className = 'pill live'; $('live-text').textContent = 'live';
    if (opened) reloadSoon();  // a reconnect: we may have missed events
    opened = true;
  };
  source.onerror = () => { $('live').className = 'pill down'; $('live-text').textContent = 'reconnecting…'; };
  source.addEventListener('replay', (message) => {
    try { addFeed(JSON.parse(message.data)); } catch (_) { /* ignore */ }
  });
  source.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (_) { return; }
    onEvent(event);
  };
}

function onEvent(event) {
  if (S.lastSeq && event.seq > S.lastSeq + 1) reloadSoon();  // we fell behind: the feed dropped some
  S.lastSeq = Math.max(S.lastSeq, event.seq);
  addFeed(event);
  if (event.kind === 'call') {
    const previous = S.calls.get(event.id) || { timeline: [] };
    const call = Object.assign(previous, event.subject);
    call.timeline.push({ time: event.offset || 0, kind: event.step, text: event.text, data: event.data });
    call.seenAt = performance.now() - (event.offset || 0) * 1000 / speed();
    call.fresh = true;
    S.calls.set(event.id, call);
    if (S.phoneCall === event.id) addHear(event);
    if (S.openCall === event.id || (call.parent_call_id && S.openCall === call.parent_call_id)) { renderCallSoon(); refreshFramesSoon(); }
    if (S.openCall === event.id && call.state === 'ended') refreshRTP();  // the final counters
    if (S.info && S.info.clock === 'manual') {/* time moves only when advanced */}
  } else if (event.kind === 'message' && event.id && event.id !== '-') {
    S.messages.set(event.id, event.subject);
    if (event.subject.direction === 'outbound' && event.step === 'queued') addReply(event.subject);
  } else if (event.kind === 'task') {
    S.tasks.push(event.subject);
  } else if (event.kind === 'session') {
    if (event.step === 'expired') S.sessions.delete(event.id); else S.sessions.set(event.id, event.subject);
  }
  renderSoon();
}

function addFeed(event) {
  if (event.seq <= (S.feedSeq || 0)) return;  // replayed after a reconnect: already shown
  S.feedSeq = event.seq;
  const list = $('feed');
  const line = el('li', { class: event.level === 'warning' ? 'warning' : null },
    el('time', { text: clock(event.time) }),
    (event.level === 'warning' ? 'WARNING ' : '') + event.kind + ' ' + (short(event.id) || '-') + (event.context ? ' ' + event.context : '') + '  ' + event.text);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 30;
  list.append(line);
  while (list.children.length > 300) list.firstChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

const HEAR = { play: 'app plays', collect: 'collected', record: 'app records', send_digits: 'app sends digits', connect: 'connect',
  state: 'call', detect: 'detect', fax: 'fax', tap: 'tap', note: '' };
function addHear(event) {
  // The dial's answer and the live events may both carry the first lines: show each once.
  const key = (event.offset || 0).toFixed(3) + ' ' + event.text;
  if (S.heard.has(key)) return;
  S.heard.add(key);
  const list = $('hear');
  list.append(el('li', {}, HEAR[event.step] ? el('b', { text: HEAR[event.step] }) : null, event.text));
  while (list.children.length > 200) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
  $('phone-state').textContent = event.subject.state;
  $('phone-state').className = 'state ' + event.subject.state;
}
function addReply(message) {
  $('replies').append(el('li', {}, el('b', { text: message.from_number + ' → ' + message.to_number }), message.body));
}

// ---- rendering -----------------------------------------------------------------------------
let renderQueued = false;
function renderSoon() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderAll(); });
}
function renderAll() {
  renderCalls(); renderSessions(); renderMessages(); renderTasks(); renderContexts();
  if (S.openCall) renderCall();
}

function duration(call) {
  const last = call.timeline.length ? call.timeline[call.timeline.length - 1].time : 0;
  if (call.state === 'ended' || (S.info && S.info.clock === 'manual')) return last;
  return Math.max(last, (performance.now() - (call.seenAt || performance.now())) / 1000 * speed());
}

function fill(tbodyID, emptyID, countID, rows) {
  $(tbodyID).replaceChildren(...rows);
  $(emptyID).hidden = rows.length > 0;
  $(countID).textContent = rows.length;
}

function renderCalls() {
  const calls = [...S.calls.values()].filter((c) => !c.parent_call_id).reverse().slice(0, 200);
  fill('calls', 'calls-empty', 'calls-count', calls.map((call) => {
    const legs = [...S.calls.values()].filter((c) => c.parent_call_id === call.call_id).length;
    const open = () => { location.hash = '#/call/' + call.call_id; };
    const row = el('tr', { class: 'clickable' + (call.fresh ? ' fresh' : ''), 'data-call': call.call_id, onclick: open },
      el('td', {}, badge(call.state), call.end_reason && call.state === 'ended' ? ' ' + call.end_reason : ''),
      el('td', { class: 'num' }, call.from + ' → ' + call.to, legs ? el('span', { class: 'hint', text: '  +' + legs + ' leg' + (legs > 1 ? 's' : '') }) : null),
      el('td', { text: call.context || '' }),
      el('td', { class: 'num duration', 'data-call': call.call_id, text: secs(duration(call)) }),
      el('td', {}, el('a', { href: '#/call/' + call.call_id, class: 'mono', text: short(call.call_id), 'aria-label': 'Open call ' + call.call_id })));
    call.fresh = false;
    return row;
  }));
}

function renderSessions() {
  const rows = [...S.sessions.values()].map((s) => el('tr', {},
    el('td', { class: 'mono', text: short(s.sessionid), title: s.sessionid }), el('td', { text: s.project }),
    el('td', { text: (s.contexts || []).join(', ') || '—' }),
    el('td', {}, badge(s.connected ? 'connected' : 'ended'), s.connected ? '' : ' resumable'),
    el('td', { class: 'hint', text: s.agent || '' })));
  fill('sessions', 'sessions-empty', 'sessions-count', rows);
}

function renderMessages() {
  const rows = [...S.messages.values()].reverse().slice(0, 200).map((m) => el('tr', {},
    el('td', {}, badge(m.message_state)), el('td', { text: m.direction === 'inbound' ? 'in' : 'out' }),
    el('td', { class: 'num', text: m.from_number + ' → ' + m.to_number }), el('td', { text: m.context }),
    el('td', { text: m.body }), el('td', { class: 'num', text: m.segments })));
  fill('messages', 'messages-empty', 'messages-count', rows);
}

function renderTasks() {
  const rows = S.tasks.slice(-200).reverse().map((t) => el('tr', {},
    el('td', { text: t.context }), el('td', {}, t.delivered ? el('span', { class: 'mono', text: short(t.session) }) : el('span', { class: 'warn', text: 'nobody (refused)' })),
    el('td', { class: 'mono', text: JSON.stringify(t.message) })));
  fill('tasks', 'tasks-empty', 'tasks-count', rows);
}

function renderContexts() {
  const contexts = new Set(['office']);
  for (const s of S.sessions.values()) for (const c of s.contexts || []) contexts.add(c);
  if (S.world) for (const c of Object.values(S.world.routes || {})) contexts.add(c);
  $('contexts').replaceChildren(...[...contexts].map((c) => el('option', { value: c })));
}

// A call's page.
let callRenderQueued = false;
function renderCallSoon() {
  if (callRenderQueued) return;
  callRenderQueued = true;
  requestAnimationFrame(() => { callRenderQueued = false; renderCall(); });
}
function renderCall() {
  const call = S.calls.get(S.openCall);
  if (!call) { $('call-title').textContent = 'Unknown call'; return; }
  $('call-title').textContent = 'Call ' + short(call.call_id);
  $('call-state').textContent = call.state + (call.end_reason && call.state === 'ended' ? ' (' + call.end_reason + ')' : '');
  $('call-state').className = 'state ' + call.state;
  const fact = (label, value) => value ? el('span', {}, label + ' ', el('b', { text: value })) : null;
  $('call-facts').replaceChildren(...[
    fact('from', call.from), fact('to', call.to), fact('context', call.context), fact('direction', call.direction),
    fact('duration', secs(duration(call))), fact('session', short(call.owner_session)),
    call.parent_call_id ? el('span', {}, 'leg of ', el('a', { href: '#/call/' + call.parent_call_id, class: 'mono', text: short(call.parent_call_id) })) : null,
    el('span', { class: 'mono hint', text: call.call_id })].filter(Boolean));
  $('timeline').replaceChildren(...call.timeline.map((entry) => el('tr', {},
    el('td', { class: 'num', text: entry.time.toFixed(2) + ' s' }), el('td', {}, el('span', { class: 'kind', text: entry.kind })),
    el('td', { text: entry.text }))));
  $('timeline-count').textContent = call.timeline.length;
  const legs = [...S.calls.values()].filter((c) => c.parent_call_id === call.call_id);
  $('legs').replaceChildren(legs.length ? el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'To' }), el('th', { text: 'State' }), el('th', { text: 'Leg' }))),
    el('tbody', {}, legs.map((leg) => el('tr', {},
      el('td', { class: 'num', text: leg.to }), el('td', {}, badge(leg.state), leg.end_reason ? ' ' + leg.end_reason : ''),
      el('td', {}, el('a', { href: '#/call/' + leg.call_id, class: 'mono', text: short(leg.call_id) })))))) :
    el('p', { class: 'empty', text: 'No legs: this call was not connected elsewhere.' }));
  renderMedia(call);
}

function renderMedia(call) {
  const box = $('media');
  for (const entry of call.timeline) {
    const found = /(https?:\/\/\S+\/files\/\S+)/.exec(entry.text);
    if (!found || !/finished|received|sent/.test(entry.text)) continue;
    const path = new URL(found[1]).pathname;
    if (S.mediaShown.has(path)) continue;
    if (!S.mediaShown.size) box.replaceChildren();
    S.mediaShown.add(path);
    if (path.includes('/recordings/')) {
      box.append(el('figure', { class: 'flat' }, el('figcaption', { class: 'hint', text: 'Recording at ' + entry.time.toFixed(2) + ' s' }),
        el('audio', { controls: true, preload: 'metadata', src: path, 'aria-label': 'Recording ' + path.split('/').pop() })));
    } else {
      box.append(el('p', {}, 'Fax: ', el('a', { href: path, target: '_blank', rel: 'noopener', text: path.split('/').pop() })));
    }
  }
}

// A SIP call's RTP counters (`sip_media` of GET /lab/calls/<id>): re-read each second while
// the call page is open, until the call ended and two reads agree ("final"). Other calls have none.
let rtpTimer = null, rtpLast = null;
async function refreshRTP() {
  clearTimeout(rtpTimer);
  const id = S.openCall;
  if (!id) return;
  let record = null;
  try { record = await api('GET', '/lab/calls/' + encodeURIComponent(id)); } catch (_) { record = null; }
  if (id !== S.openCall) return;
  const media = record && record.sip_media;
  const text = media ? JSON.stringify(media) : null;
  const settled = !!record && record.state === 'ended' && (!media || text === rtpLast);
  rtpLast = text;
  $('rtp-card').hidden = !media;
  if (media) {
    const count = (label, key, value) => el('span', { 'data-rtp': key }, label + ' ', el('b', { text: value }));
    $('rtp').replaceChildren(count('packets in', 'packets_in', media.packets_in), count('packets out', 'packets_out', media.packets_out),
      count('lost', 'lost', media.lost), count('jitter', 'jitter_ms', Number(media.jitter_ms).toFixed(2) + ' ms'));
    $('rtp-live').textContent = settled ? 'final' : 'live';
  }
  if (!settled) rtpTimer = setTimeout(refreshRTP, 1000);
}

let framesTimer = null;
function refreshFramesSoon() { clearTimeout(framesTimer); framesTimer = setTimeout(refreshFrames, 250); }
async function refreshFrames() {
  const call = S.calls.get(S.openCall);
  if (!call || !call.owner_session) return;
  let journal;
  try { journal = await api('GET', '/lab/sessions/' + encodeURIComponent(call.owner_session) + '/journal'); } catch (_) { return; }
  const ids = [call.call_id, ...[...S.calls.values()].filter((c) => c.parent_call_id === call.call_id).map((c) => c.call_id)];
  const frames = journal.frames.filter((f) => { const text = JSON.stringify(f.frame); return ids.some((id) => text.includes(id)); });
  const box = $('frames');
  const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.key));
  box.replaceChildren(...(frames.length ? frames.map((f, index) => {
    const frame = f.frame || {};
    const params = frame.params || {};
    const name = frame.method ? frame.method + (params.method ? ' ' + params.method : '') + (params.event_type ? ' ' + params.event_type : '') + (params.params && params.params.event_type ? ' ' + params.params.event_type : '') : 'result';
    const key = index + name;
    return el('details', { 'data-key': key, open: open.has(key) },
      el('summary', {}, el('span', { class: f.dir === 'in' ? 'dir-in' : 'dir-out', text: f.dir === 'in' ? '→ server ' : '← client ' }), clock(f.time) + '  ' + name),
      el('pre', { text: JSON.stringify(frame, null, 2) }));
  }) : [el('p', { class: 'empty', text: 'No frames name this call (yet).' })]));
  $('frames-count').textContent = frames.length;
}

// World page.
function describe(b) {
  const parts = [];
  if (b.answer === 'busy') parts.push('busy');
  else if (b.answer === 'never') parts.push('never answers');
  else if (b.answer === 'fail') parts.push('fails (unroutable, end_reason error)');
  else parts.push('answers after ' + b.answer + ' ring' + (b.answer === 1 ? '' : 's'));
  if (b.kind === 'machine') parts.push('answering machine: ' + b.greeting_seconds + ' s greeting, then a beep');
  if (b.kind === 'fax') parts.push('fax machine');
  const every = b.repeat ? ' at every prompt' : '';
  if (b.digits && b.digits.length) parts.push('keys ' + b.digits.join(', ') + every);
  if (b.speech && b.speech.length) parts.push('says “' + b.speech.join('”, “') + '”' + every);
  if (b.hangup_after != null) parts.push('hangs up ' + b.hangup_after + ' s after answering');
  return parts.join('; ');
}
function renderWorld() {
  const w = S.world;
  if (!w) return;
  const pairs = (object) => Object.entries(object || {}).sort(([a], [b]) => a.localeCompare(b));
  const none = (cols, text) => [el('tr', {}, el('td', { colspan: cols, class: 'hint', text }))];
  const numbers = pairs(w.numbers).map(([n, b]) => el('tr', {}, el('td', { class: 'num mono', text: n }), el('td', { text: describe(b) })));
  $('world-numbers').replaceChildren(...(numbers.length ? numbers : none(2, 'No numbers defined.')));
  const routes = pairs(w.routes).map(([n, c]) => el('tr', {}, el('td', { class: 'num mono', text: n }), el('td', { text: c })));
  $('world-routes').replaceChildren(...(routes.length ? routes : none(2, 'No routes: give a context when you call or text.')));
  const scripts = pairs(w.scripts).map(([n, b]) => el('tr', {}, el('td', { class: 'mono', text: n }), el('td', { text: describe(b) })));
  $('world-scripts').replaceChildren(...(scripts.length ? scripts : none(2, 'No named scripts (define them under "scripts" in a world file).')));
  const sms = pairs(w.message_failures).map(([n, s]) => el('tr', {}, el('td', { class: 'num mono', text: n }), el('td', {}, badge(s))));
  $('world-sms').replaceChildren(...sms, el('tr', {}, el('td', { class: 'hint', text: 'any other number' }), el('td', {}, badge('delivered'))));
  $('world-other').replaceChildren(el('p', { class: 'flat' }, 'Any other number ' + describe(w.default) + '. One ring lasts ' + w.ring_seconds + ' s.'));
}

// ---- views ---------------------------------------------------------------------------------
function route() {
  const hash = location.hash || '#/';
  const call = /^#\/call\/([\w-]+)/.exec(hash);
  $('view-activity').hidden = !!call || hash === '#/world';
  $('view-call').hidden = !call;
  $('view-world').hidden = hash !== '#/world';
  const current = (id, on) => { if (on) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current'); };
  current('tab-activity', !call && hash !== '#/world');
  current('tab-world', hash === '#/world');
  S.openCall = call ? call[1] : null;
  if (call) {
    S.mediaShown = new Set();
    $('media').replaceChildren(el('p', { class: 'empty flat', text: 'None.' }));
    $('frames').replaceChildren(el('p', { class: 'empty', text: 'Loading frames…' }));
    $('rtp-card').hidden = true;
    rtpLast = null;
    renderCall(); refreshFrames(); refreshRTP();
    document.title = 'Call ' + short(S.openCall) + ' · Relay console';
  } else {
    clearTimeout(rtpTimer);
    document.title = 'Relay console';
  }
}
window.addEventListener('hashchange', route);

// ---- phone, SMS, tasks, clock --------------------------------------------------------------
function guard(errorID, action) {
  return async (event) => {
    event.preventDefault();
    $(errorID).textContent = '';
    try { await action(); } catch (error) { $(errorID).textContent = error.message; }
  };
}
$('dial-form').addEventListener('submit', guard('dial-error', async () => {
  const body = { from: $('dial-from').value.trim(), to: $('dial-to').value.trim() };
  if ($('dial-context').value.trim()) body.context = $('dial-context').value.trim();
  const call = await api('POST', '/lab/calls', body);
  S.phoneCall = call.call_id;
  $('hear').replaceChildren();
  S.heard = new Set();
  $('phone-call').hidden = false;
  $('phone-link').textContent = 'call ' + short(call.call_id);
  $('phone-link').href = '#/call/' + call.call_id;
  const known = S.calls.get(call.call_id);
  for (const entry of (known ? known.timeline : call.timeline)) addHear({ step: entry.kind, text: entry.text, offset: entry.time, subject: known || call });
  $('keys').focus();
}));
$('keys-form').addEventListener('submit', guard('phone-error', async () => {
  const digits = $('keys').value.trim();
  if (!digits) throw new Error('type the keys to press, e.g. 1234#');
  await api('POST', '/lab/calls/' + S.phoneCall + '/digits', { digits });
  $('keys').value = '';
}));
for (const key of document.querySelectorAll('.keypad button')) {
  key.addEventListener('click', () => { $('keys').value += key.textContent; });
}
$('say-form').addEventListener('submit', guard('phone-error', async () => {
  const text = $('say').value.trim();
  if (!text) throw new Error('type a phrase to say');
  await api('POST', '/lab/calls/' + S.phoneCall + '/say', { text });
  $('say').value = '';
}));
$('hangup').addEventListener('click', guard('phone-error', async () => {
  await api('POST', '/lab/calls/' + S.phoneCall + '/hangup', {});
}));
$('sms-form').addEventListener('submit', guard('sms-error', async () => {
  const body = { from: $('sms-from').value.trim(), to: $('sms-to').value.trim(), body: $('sms-body').value };
  if ($('sms-context').value.trim()) body.context = $('sms-context').value.trim();
  await api('POST', '/lab/messages', body);
}));
$('task-form').addEventListener('submit', guard('task-error', async () => {
  let message;
  try { message = JSON.parse($('task-message').value); } catch (error) { throw new Error('the message is not JSON: ' + error.message); }
  await api('POST', '/lab/tasks', { context: $('task-context').value.trim(), message });
}));

function setClock(now) { S.clockBase = { now, at: performance.now() }; showClock(); }
function showClock() {
  if (!S.clockBase || !S.info) return;
  const now = S.info.clock === 'manual' ? S.clockBase.now : S.clockBase.now + (performance.now() - S.clockBase.at) / 1000 * S.info.speed;
  const whole = Math.floor(now);
  $('clock-now').textContent = 'T+' + Math.floor(whole / 3600) + ':' + String(Math.floor(whole / 60) % 60).padStart(2, '0') + ':' +
    String(whole % 60).padStart(2, '0') + '.' + Math.floor((now - whole) * 10);
}
async function advance(path, body) {
  const result = await api('POST', path, body);
  setClock(result.now);
}
$('clock-step').addEventListener('click', () => advance('/lab/clock/step', {}).catch((e) => { $('live-text').textContent = e.message; }));
for (const button of document.querySelectorAll('[data-advance]')) {
  button.addEventListener('click', () => advance('/lab/clock/advance', { seconds: Number(button.dataset.advance) }).catch((e) => { $('live-text').textContent = e.message; }));
}
// Display only: durations and the scaled clock move on screen between events.
setInterval(() => {
  showClock();
  for (const cell of document.querySelectorAll('td.duration')) {
    const call = S.calls.get(cell.dataset.call);
    if (call && call.state !== 'ended') cell.textContent = secs(duration(call));
  }
}, 500);

route();
loadAll().then(connect);
"""#
}
