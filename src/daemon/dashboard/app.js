// hbeatd's live dashboard (docs/http.md, "Dashboard").
//
// Polls this server only, every POLL_MS: /v1/status (node, leader, term,
// quorum), /v1/members (each peer's state, suspicion, last heartbeat,
// RTT), /v1/events?after=ID (the new events of the event stream) and
// /v1/suspicion (each peer's suspicion over the last minute, for the
// sparklines). Read-only: the page has no action. Data from the server is
// only ever put in the page as text (textContent, SVG attributes).
'use strict';

const POLL_MS = 500;
const TIMEOUT_MS = 3000;
const MAX_EVENTS = 200;
const SVG_NS = 'http://www.w3.org/2000/svg';

const view = {
  status: null,          // last /v1/status
  members: null,         // last /v1/members
  afterId: 0,            // events up to this id are shown
  events: [],            // newest first
  suspicion: new Map(),  // member name -> [suspicion|null, ...] (1/s)
  shown: new Map(),      // member name -> [state, Date.now() first shown]
  okAt: 0,               // performance.now() of the last good poll
};

function $(id) { return document.getElementById(id); }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  return e;
}

async function getJSON(path) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    const r = await fetch(path, { cache: 'no-store', signal: ctl.signal });
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return await r.json();
  } finally {
    clearTimeout(timer);
  }
}

// ---- formatting --------------------------------------------------------

function fmtMs(ms) {
  if (ms === null || ms === undefined) return '\u2014';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  if (ms < 3600000) return (ms / 60000).toFixed(1) + ' min';
  if (ms < 86400000) return (ms / 3600000).toFixed(1) + ' h';
  return (ms / 86400000).toFixed(1) + ' d';
}

function fmtRtt(ms) {
  if (ms === null || ms === undefined) return '\u2014';
  return ms < 10 ? ms.toFixed(2) + ' ms' : ms.toFixed(1) + ' ms';
}

function fmtSuspicion(v) {
  if (v === null || v === undefined) return '\u2014';
  if (v > 1000) return '>1000';
  return v.toFixed(2);
}

// Wall-clock time of an event, as HH:MM:SS.mmm UTC.
function eventTime(e) {
  let ms = null;
  if (typeof e.wall_time === 'string' && e.wall_time !== '') {
    ms = Date.parse(e.wall_time);
  } else if (typeof e.wall_time_ns === 'number') {
    ms = e.wall_time_ns / 1e6;
  } else if (view.status && typeof e.at_ns === 'number') {
    ms = Date.now() - (view.status.now_ns - e.at_ns) / 1e6;
  }
  if (ms === null || isNaN(ms)) return '';
  return new Date(ms).toISOString().slice(11, 23) + 'Z';
}

function eventText(e) {
  const arrow = ' \u2192 ';
  switch (e.event) {
  case 'peer_state':
    return 'peer ' + e.peer + ' ' + e.old + arrow + e.new + ' (' +
      e.reason + ', suspicion ' + fmtSuspicion(e.suspicion) + ')';
  case 'role':
    return 'role ' + e.old + arrow + e.new + ' (term ' + e.term +
      ', leader ' + (e.leader || 'none') + ', ' + e.reason + ')';
  case 'quorum':
    return 'quorum ' + (e.quorate ? 'gained' : 'lost') + ' (term ' +
      e.term + ', ' + e.reason + ')';
  case 'resource':
    return 'resource ' + e.old_state + arrow + e.state + ' (term ' +
      e.term + ', ' + e.reason + ')';
  case 'fence':
    return 'fence ' + e.target + ': ' + e.result + ' (term ' + e.term +
      ', attempt ' + e.attempt + ')';
  case 'check':
    return 'check ' + e.name + ' ' + e.old_state + arrow + e.state +
      ' (' + e.reason + ')';
  default:
    return e.event || 'event';
  }
}

function eventClass(e) {
  const s = e.event === 'peer_state' ? e.new : e.state;
  if (s === 'dead' || (e.event === 'quorum' && !e.quorate) ||
      (e.event === 'fence' && !e.ok) || s === 'failing') return 'ev-dead';
  if (s === 'suspect') return 'ev-suspect';
  if (s === 'alive' || (e.event === 'quorum' && e.quorate)) return 'ev-alive';
  return '';
}

// ---- rendering ---------------------------------------------------------

function renderSummary(st) {
  const c = st.coordination || {};
  $('node').textContent = st.node.name;
  document.title = st.node.name + ' \u2014 hbeat';
  const leader = $('leader'), term = $('term'), quorum = $('quorum');
  const role = $('role');
  if (!c.enabled) {
    leader.textContent = 'election off';
    term.textContent = '\u2014';
    quorum.textContent = 'off';
    quorum.className = 'value';
    quorum.dataset.quorate = '';
    role.textContent = 'running';
    return;
  }
  leader.textContent = c.leader || 'none';
  leader.className = 'value' + (c.leader ? '' : ' bad');
  term.textContent = String(c.term);
  quorum.textContent = (c.quorate ? 'yes' : 'no') + ' \u00b7 ' +
    c.votes_present + '/' + c.expected_votes + ' votes (need ' +
    c.quorum_votes + ')';
  quorum.className = 'value ' + (c.quorate ? 'good' : 'bad');
  quorum.dataset.quorate = String(!!c.quorate);
  role.textContent = c.role;
}

function fact(label, value) {
  const d = el('div');
  d.append(el('span', 'label', label), el('span', 'value', value));
  return d;
}

function sparkline(name, st, current) {
  const w = 120, h = 40;
  const s = svg('svg', { class: 'spark', viewBox: '0 0 ' + w + ' ' + h,
    preserveAspectRatio: 'none', role: 'img',
    'aria-label': 'suspicion of ' + name + ' over the last minute' });
  const sus = st.node.suspect_threshold, dead = st.node.dead_threshold;
  // Logarithmic (log1p): a phi of 0.5 shows, a long-dead peer's
  // thousands stay on the chart.
  const top = dead * 1.5;
  const y = (v) => h - 1 - Math.log1p(Math.min(v, top)) / Math.log1p(top) *
    (h - 2);
  const title = svg('title', {});
  title.textContent = 'suspicion of ' + name + ', one value a second, ' +
    'log scale; dashed: suspect (' + sus + ') and dead (' + dead +
    ') thresholds';
  s.append(title);
  s.append(svg('rect', { class: 'frame', x: 0.5, y: 0.5, width: w - 1,
    height: h - 1 }));
  for (const [cls, v] of [['thr-suspect', sus], ['thr-dead', dead]]) {
    s.append(svg('line', { class: cls, x1: 0, x2: w, y1: y(v), y2: y(v),
      'vector-effect': 'non-scaling-stroke' }));
  }
  let pts = [];
  const flush = () => {
    if (pts.length > 0) {
      s.append(svg('polyline', { class: 'line', points: pts.join(' '),
        'vector-effect': 'non-scaling-stroke' }));
    }
    pts = [];
  };
  // One value a second, oldest first, then the value of now at the end.
  const vals = (view.suspicion.get(name) || []).concat([current]);
  const step = vals.length > 1 ? w / (vals.length - 1) : w;
  vals.forEach((v, i) => {
    if (typeof v !== 'number') { flush(); return; }
    pts.push((i * step).toFixed(1) + ',' + y(v).toFixed(1));
  });
  flush();
  return s;
}

function memberCard(m, st, leaderName) {
  const card = el('article', 'member state-' + m.state);
  card.dataset.name = m.name;
  card.dataset.state = m.state;
  // When this page first showed the state (wall clock, ms): tests compare
  // it with the event's wall_time.
  let shown = view.shown.get(m.name);
  if (!shown || shown[0] !== m.state) {
    shown = [m.state, Date.now()];
    view.shown.set(m.name, shown);
  }
  card.dataset.shownAt = String(shown[1]);
  const top = el('div', 'top');
  const name = el('span', 'name', m.name);
  if (m.name === leaderName) name.append(el('span', 'tag leader', 'leader'));
  if (m.self) name.append(el('span', 'tag', 'this node'));
  top.append(name, el('span', 'badge state-' + m.state, m.state));
  card.append(top, el('div', 'addr', m.address));
  const facts = el('div', 'facts');
  if (m.self) {
    const c = st.coordination || {};
    facts.append(fact('Up', fmtMs(st.node.uptime_ms)),
      fact('Role', c.enabled ? c.role : '\u2014'),
      fact('Detector', st.node.detector));
    card.append(facts);
    return card;
  }
  facts.append(fact('For', fmtMs(m.state_age_ms)),
    fact('Last heartbeat', fmtMs(m.last_heartbeat_age_ms)),
    fact('RTT', fmtRtt(m.rtt_median_ms)));
  card.append(facts, sparkline(m.name, st, m.suspicion));
  const lab = el('div', 'spark-label');
  lab.append(el('span', null, 'suspicion, last minute'),
    el('span', 'now', 'now ' + fmtSuspicion(m.suspicion)));
  card.append(lab);
  return card;
}

function renderMembers(st, mem) {
  const c = st.coordination || {};
  const leaderName = c.enabled ? c.leader : null;
  const self = { name: st.node.name, address: st.node.listen,
    state: 'alive', self: true };
  const box = $('members');
  const cards = [memberCard(self, st, leaderName)];
  for (const m of mem.members) cards.push(memberCard(m, st, leaderName));
  box.replaceChildren(...cards);
}

function renderEvents() {
  const list = $('events');
  if (view.events.length === 0) {
    list.replaceChildren(el('li', 'empty', 'no events yet'));
    return;
  }
  list.replaceChildren(...view.events.map((e) => {
    const li = el('li', eventClass(e));
    li.dataset.id = e.id;
    const t = el('time', null, eventTime(e));
    li.append(t, el('span', null, eventText(e)));
    return li;
  }));
}

function renderConn(ok, why) {
  const c = $('conn');
  c.className = 'conn ' + (ok ? 'conn-ok' : 'conn-bad');
  c.textContent = ok ? 'live' : 'no answer from hbeatd' + (why ? ': ' + why : '');
  document.body.dataset.live = String(ok);
}

function renderFooter(st) {
  $('footer').textContent = 'hbeatd ' + st.node.version + ' \u00b7 ' +
    st.node.detector + ' detector \u00b7 heartbeat every ' +
    st.node.interval_ms + ' ms \u00b7 read-only \u00b7 updated ' +
    new Date().toISOString().slice(11, 19) + 'Z';
}

// ---- polling -----------------------------------------------------------

function keepSuspicion(doc) {
  view.suspicion = new Map(doc.members.map((m) => [m.name, m.suspicion]));
}

function addEvents(ev) {
  if (ev.last_id < view.afterId) {
    // hbeatd restarted: its ids count from 1 again.
    view.events = [];
    view.afterId = 0;
    return false;
  }
  for (const e of ev.events) view.events.unshift(e);
  if (view.events.length > MAX_EVENTS) view.events.length = MAX_EVENTS;
  view.afterId = ev.last_id;
  return true;
}

async function poll() {
  try {
    const [st, mem, ev, sus] = await Promise.all([getJSON('/v1/status'),
      getJSON('/v1/members'), getJSON('/v1/events?after=' + view.afterId),
      getJSON('/v1/suspicion')]);
    view.status = st;
    view.members = mem;
    if (!addEvents(ev)) {
      addEvents(await getJSON('/v1/events?after=0'));
    }
    keepSuspicion(sus);
    renderSummary(st);
    renderMembers(st, mem);
    renderEvents();
    renderFooter(st);
    renderConn(true);
    view.okAt = performance.now();
  } catch (err) {
    renderConn(false, err && err.name === 'AbortError' ? 'timeout' : '');
  }
  setTimeout(poll, POLL_MS);
}

document.addEventListener('DOMContentLoaded', poll);
