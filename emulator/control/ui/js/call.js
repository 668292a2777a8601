// One call: what it is, its timeline (past and planned, with "now"), the
// transcript as spoken so far, its LiveKit room, the vendor's own JSON at
// this instant, its webhook deliveries; and the controls that drive it.

import * as api from './api.js';
import { LIVE, badge, dateTime, duration, field, h, input, isoOf, recordTable, select, time, values } from './dom.js';
import { durationOf, summaryOf } from './calls.js';

const DELIVERIES = '/_emulator/webhooks/deliveries';
const ACTIONS = [
  ['answer', 'Answer'],
  ['hangup', 'Hang up'],
  ['fail', 'Fail'],
  ['drop', 'Drop'],
  ['no_answer', 'No answer'],
  ['busy', 'Busy'],
  ['cancel', 'Cancel'],
  ['start', 'Start now'],
  ['remove_agent', 'Remove the agent'],
];

const WAITING = ['scheduled', 'queued', 'initiated'];
const UNANSWERED = [...WAITING, 'connecting', 'ringing'];
// The statuses each action applies in (the server says why otherwise).
const APPLIES = {
  answer: ['connecting', 'ringing'],
  start: WAITING,
  drop: ['active'],
  remove_agent: ['active'],
  no_answer: UNANSWERED,
  busy: UNANSWERED,
};

const epoch = (iso) => (iso ? Date.parse(iso) / 1000 : null);

// Past and planned moments of the call, for a server without the timeline
// route: the plan says what will happen if nothing intervenes; the snapshot
// says what did (a forced answer moves the turns, an early end cancels what
// was planned after it).
export function timeline(call, now) {
  const p = call.plan;
  const s = call.snapshot;
  const start = epoch(s && s.startedAt) ?? p.start_at;
  const ring = epoch(s && s.ringingAt) ?? (p.ring_at != null ? p.start_at + p.ring_at : null);
  const answer = epoch(s && s.answeredAt) ?? (p.answer_at != null ? p.start_at + p.answer_at : null);
  const naturalEnd = p.answer_at != null ? p.start_at + p.answer_at + p.talk_for : p.give_up_at != null ? p.start_at + p.give_up_at : null;
  const end = epoch(s && s.endedAt);
  const events = [{ at: p.created_at, what: `created (${p.waiting_status})` }];
  events.push({ at: start, what: 'connecting: room opens' });
  if (ring != null) events.push({ at: ring, what: 'ringing' });
  if (answer != null) events.push({ at: answer, what: 'answered: active' });
  const spoken = s ? s.transcript : [];
  for (const t of spoken) events.push({ at: epoch(t.at), what: `${t.role} speaks` });
  if (answer != null) {
    for (const t of p.turns) if (answer + t.at > now) events.push({ at: answer + t.at, what: `${t.role} speaks` });
  }
  for (const iv of call.interventions) events.push({ at: iv.at, what: `${iv.kind}${iv.status ? `: ${iv.status}` : ''} (${iv.source || 'intervention'})` });
  if (end != null) events.push({ at: end, what: `ended: ${s.status}${s.failureReason ? ` (${s.failureReason})` : ''}` });
  else if (naturalEnd != null) events.push({ at: naturalEnd, what: `ends: ${p.outcome}${p.failure_reason ? ` (${p.failure_reason})` : ''}` });
  const last = end ?? Infinity;
  return events
    .filter((e) => e.at <= now || e.at <= last)
    .map((e) => ({ ...e, past: e.at <= now }))
    .sort((a, b) => a.at - b.at);
}

const TIMELINE = '/_emulator/calls/{callId}/timeline';

// A timeline event (as the server's timeline or the stream names it) in words.
function describe(e) {
  const d = e.data || {};
  switch (e.type) {
    case 'call.created': return `created (${d.status})`;
    case 'call.status_changed': return d.status === 'connecting' ? 'connecting: room opens' : d.status;
    case 'participant.joined': return `${d.name} (${d.kind}) joins`;
    case 'participant.left': return `${d.name} (${d.kind}) leaves`;
    case 'transcript.turn': return `${d.role} speaks`;
    case 'call.ended': return `ended: ${d.status}${d.reason ? ` (${d.reason})` : ''}`;
    case 'call.summary_ready': return 'summary ready';
    default: return e.type;
  }
}

export function render(main, ctx, id) {
  const path = `/_emulator/calls/${encodeURIComponent(id)}`;
  let current = null;
  let planned = null; // the server's timeline, where it has one
  let timer = null;

  const heading = h('h2', {}, `Call ${id}`);
  const facts = h('dl', { class: 'facts' });
  const axis = h('div', { class: 'axis', role: 'img', 'aria-label': 'Timeline' });
  const events = h('ol', { class: 'events', id: 'timeline' });
  const transcript = h('ol', { class: 'transcript', id: 'transcript', 'aria-live': 'polite' });
  const room = h('div', { id: 'room' });
  const vendor = h('div', { id: 'vendor-json' });
  const deliveries = h('div', { id: 'deliveries' });

  const act = (action, extra = {}) => ctx.act(() => api.post(`${path}/actions`, { action, ...extra }), `${action.replace('_', ' ')}: done`);
  const reason = input('reason', { placeholder: 'network_error' });
  const actions = h(
    'div',
    { class: 'actions', role: 'group', 'aria-label': 'Force a transition now' },
    ACTIONS.map(([action, label]) =>
      h('button', { type: 'button', dataset: { action }, onclick: () => act(action, action === 'fail' && reason.value.trim() ? { reason: reason.value.trim() } : {}) }, label),
    ),
    field('Failure reason (for Fail)', reason),
  );
  const say = h(
    'form',
    {
      class: 'say',
      'aria-label': 'Say a turn',
      onsubmit: async (e) => {
        e.preventDefault();
        const v = values(e.target);
        const ok = await ctx.act(() => api.post(`${path}/turns`, { role: v.role, text: v.text || '' }), 'turn added');
        if (ok) e.target.elements.text.value = '';
      },
    },
    field('Speaker', select('role', ['agent', 'customer', 'human'], 'customer')),
    field('Text', input('text', { required: true, placeholder: 'Can I speak to a person?' })),
    h('button', { type: 'submit' }, 'Say'),
  );

  main.append(
    h('p', {}, h('a', { href: '#/calls' }, '← All calls')),
    heading,
    facts,
    h('section', { 'aria-labelledby': 'drive-h' }, h('h3', { id: 'drive-h' }, 'Drive'), actions, say),
    h('section', { 'aria-labelledby': 'tl-h' }, h('h3', { id: 'tl-h' }, 'Timeline'), h('p', { class: 'legend' }, '● happened  ○ planned  | now'), axis, h('details', {}, h('summary', {}, 'Every moment'), events)),
    h('div', { class: 'columns' },
      h('section', { 'aria-labelledby': 'tr-h' }, h('h3', { id: 'tr-h' }, 'Transcript'), transcript),
      h('section', { 'aria-labelledby': 'room-h' }, h('h3', { id: 'room-h' }, 'LiveKit room'), room),
    ),
    h('section', { 'aria-labelledby': 'vj-h' }, h('h3', { id: 'vj-h' }, 'Vendor JSON, as the vendor’s GET answers now'), vendor),
    h('section', { 'aria-labelledby': 'wh-h' }, h('h3', { id: 'wh-h' }, 'Webhook deliveries'), deliveries),
  );

  function drawFacts() {
    const c = current;
    const s = c.snapshot || {};
    const tenant = ctx.tenant(c.tenant);
    heading.replaceChildren(`Call ${c.id} `, badge(s.status));
    heading.dataset.status = s.status || '';
    const row = summaryOf(c);
    const items = [
      ['Vendor', c.vendor],
      ['Tenant', tenant ? `${tenant.name} (${c.tenant})` : c.tenant],
      ['Direction', c.plan.direction],
      ['Number', c.plan.contact_phone],
      ['Contact', c.plan.contact_name || ''],
      ['Agent', c.plan.agent_name],
      ['Duration', h('span', { id: 'call-duration' }, duration(durationOf(row, ctx)))],
      ['Started', dateTime(s.startedAt)],
      ['Answered', dateTime(s.answeredAt)],
      ['Ended', dateTime(s.endedAt)],
      ['Failure reason', s.failureReason || ''],
      ['Outcome planned', c.plan.outcome],
    ];
    facts.replaceChildren(...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const agentLeft = (s.participants || []).some((p) => p.kind === 'agent' && !p.muted);
    for (const b of actions.querySelectorAll('button')) {
      const applies = APPLIES[b.dataset.action];
      b.disabled = !c.snapshot || !!s.endedAt || (applies && !applies.includes(s.status)) || (b.dataset.action === 'remove_agent' && !agentLeft);
    }
    say.querySelector('button').disabled = s.status !== 'active';
  }

  function drawTimeline() {
    const now = ctx.nowOf(current.tenant);
    const list = planned ? planned.map((e) => ({ at: e.epoch, what: describe(e), past: e.epoch <= now })) : timeline(current, now);
    const lo = Math.min(list[0].at, now);
    const hi = Math.max(list[list.length - 1].at, now);
    const span = Math.max(hi - lo, 1);
    const pos = (t) => `${(((t - lo) / span) * 100).toFixed(2)}%`;
    axis.replaceChildren(
      ...list.map((e) => h('span', { class: `mark ${e.past ? 'past' : 'planned'}`, style: `left:${pos(e.at)}`, title: `${time(isoOf(e.at))} ${e.what}` })),
      h('span', { class: 'now', style: `left:${pos(now)}` }, h('span', {}, 'now')),
      h('span', { class: 'edge start' }, time(isoOf(lo))),
      h('span', { class: 'edge end' }, time(isoOf(hi))),
    );
    events.replaceChildren(
      ...list.map((e) => h('li', { class: e.past ? 'past' : 'planned' }, h('time', {}, time(isoOf(e.at))), ` ${e.what} `, h('small', {}, e.past ? 'past' : 'planned'))),
    );
  }

  function drawTranscript() {
    const turns = current.snapshot ? current.snapshot.transcript : [];
    transcript.replaceChildren(
      ...turns.map((t) => h('li', { class: `turn role-${t.role}` }, h('span', { class: 'who' }, `${t.role} · ${time(t.at)}`), h('p', {}, t.text))),
    );
    if (!turns.length) transcript.append(h('li', { class: 'empty' }, 'Nothing said yet.'));
  }

  function drawRoom() {
    const s = current.snapshot;
    const name = current.plan.room || '(none)';
    const open = s && s.roomOpen;
    room.replaceChildren(
      h('p', {}, 'Room ', h('code', {}, name), open ? ' — open' : ' — closed'),
      s && s.participants.length
        ? recordTable(
            s.participants.map((p) => ({ identity: p.identity, name: p.name, kind: p.kind, joined: time(p.joinedAt), muted: p.muted ? 'muted' : '' })),
            'Participants',
          )
        : h('p', {}, 'No participants.'),
    );
  }

  function drawVendor(view) {
    vendor.replaceChildren(
      h('p', {}, `Read at ${dateTime(view.now)} UTC (the tenant’s now).`),
      ...view.reads.map((r) =>
        h('figure', { class: 'json' }, h('figcaption', {}, h('code', {}, `${r.method} ${r.path}`), ` → ${r.status}`), h('pre', { tabindex: 0 }, JSON.stringify(r.body, null, 2))),
      ),
    );
    if (!view.reads.length) vendor.append(h('p', {}, 'The tenant has no API key, so there is no vendor view.'));
  }

  async function drawDeliveries() {
    if (!ctx.has(DELIVERIES)) {
      deliveries.replaceChildren(h('p', {}, 'This server records no webhook deliveries.'));
      return;
    }
    const data = await api.get(`${DELIVERIES}${api.query({ callId: current.id })}`);
    const rows = Array.isArray(data) ? data : Object.values(data).find(Array.isArray) || [];
    deliveries.replaceChildren(
      rows.length
        ? recordTable(rows, 'Webhook deliveries of this call', ['at', 'event', 'url', 'status', 'attempts', 'responseStatus', 'latencyMs', 'error'])
        : h('p', {}, 'No deliveries for this call.'),
    );
  }

  async function reload() {
    const [call, view, events] = await Promise.all([
      api.get(path),
      api.get(`${path}/vendor`),
      ctx.has(TIMELINE) ? api.get(`${path}/timeline`) : null,
    ]);
    current = call;
    planned = events && events.events;
    drawFacts();
    drawTimeline();
    drawTranscript();
    drawRoom();
    drawVendor(view);
    await drawDeliveries().catch((err) => deliveries.replaceChildren(h('p', { class: 'error' }, err.message)));
  }

  return {
    reload,
    onEvent(event) {
      if (event.callId !== id) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload().catch((err) => ctx.notify(err.message)), 50);
    },
    tick() {
      if (!current) return;
      const el = document.getElementById('call-duration');
      if (el && current.snapshot && LIVE.has(current.snapshot.status)) el.textContent = duration(durationOf(summaryOf(current), ctx));
      drawTimeline();
    },
    close() {
      clearTimeout(timer);
    },
  };
}
