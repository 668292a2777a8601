// Every tenant's calls, newest first, filtered by tenant, vendor and status;
// rows change as the stream reports their calls' events.

import * as api from './api.js';
import { LIVE, STATUSES, badge, duration, field, h, select, time } from './dom.js';

const filters = { tenant: '', vendor: '', status: '' }; // kept across visits
const LIMIT = 1000;

// The list's row shape from one call as GET /_emulator/calls/{id} answers.
export function summaryOf(call) {
  const s = call.snapshot;
  return {
    id: call.id,
    tenant: call.tenant,
    vendor: call.vendor,
    status: s ? s.status : null,
    contactPhone: call.plan.contact_phone,
    room: call.plan.room,
    createdAt: new Date(call.plan.created_at * 1000).toISOString(),
    direction: call.plan.direction,
    agentId: call.plan.agent_id,
    agentName: call.plan.agent_name,
    startedAt: s ? s.startedAt : null,
    endedAt: s ? s.endedAt : null,
    duration: s ? s.duration : 0,
  };
}

// Duration so far: running calls tick with their tenant's clock.
export function durationOf(row, ctx) {
  if (row.startedAt && !row.endedAt && LIVE.has(row.status)) return ctx.nowOf(row.tenant) - Date.parse(row.startedAt) / 1000;
  return row.duration || 0;
}

export function render(main, ctx) {
  const rows = new Map();
  const pending = new Map();

  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter calls', onsubmit: (e) => e.preventDefault(), onchange: (e) => ((filters[e.target.name] = e.target.value), draw()) },
    field('Tenant', select('tenant', [['', 'All tenants'], ...ctx.tenants.map((t) => [t.id, `${t.name} (${t.id})`])], filters.tenant)),
    field('Vendor', select('vendor', [['', 'All vendors'], ...[...new Set(ctx.tenants.map((t) => t.vendor))].map((v) => [v, v])], filters.vendor)),
    field('Status', select('status', [['', 'Any status'], ['live', 'live (connecting, ringing, active)'], ...STATUSES.map((s) => [s, s])], filters.status)),
  );
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const body = h('tbody');
  main.append(
    h('div', { class: 'heading' }, h('h2', {}, 'Calls'), h('a', { class: 'button', href: '#/new' }, 'New call')),
    form,
    count,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { id: 'calls-table' },
        h('caption', { class: 'visually-hidden' }, 'Calls of every tenant, newest first'),
        h('thead', {}, h('tr', {}, ['Call', 'Vendor', 'Tenant', 'Status', 'Direction', 'Number', 'Agent', 'Duration', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
        body,
      ),
    ),
  );

  const shown = (r) =>
    (!filters.tenant || r.tenant === filters.tenant) &&
    (!filters.vendor || r.vendor === filters.vendor) &&
    (!filters.status || (filters.status === 'live' ? LIVE.has(r.status) : r.status === filters.status));

  function rowOf(r) {
    const tenant = ctx.tenant(r.tenant);
    return h(
      'tr',
      { dataset: { callId: r.id, status: r.status || '' } },
      h('th', { scope: 'row' }, h('a', { href: `#/calls/${encodeURIComponent(r.id)}` }, r.id)),
      h('td', {}, r.vendor),
      h('td', { title: r.tenant }, tenant ? tenant.name : r.tenant),
      h('td', { class: 'status' }, badge(r.status)),
      h('td', {}, r.direction),
      h('td', {}, r.contactPhone),
      h('td', {}, r.agentName),
      h('td', { class: 'duration num' }, duration(durationOf(r, ctx))),
      h('td', { title: r.createdAt }, time(r.createdAt)),
    );
  }

  function draw() {
    const list = [...rows.values()].filter(shown).reverse();
    body.replaceChildren(...list.map(rowOf));
    if (!list.length) body.append(h('tr', {}, h('td', { colspan: 9 }, rows.size ? 'No call matches these filters.' : 'No calls yet.')));
    const live = list.filter((r) => LIVE.has(r.status)).length;
    count.textContent = `${list.length} call${list.length === 1 ? '' : 's'} shown, ${live} live`;
  }

  async function fetchOne(id) {
    try {
      const row = summaryOf(await api.get(`/_emulator/calls/${encodeURIComponent(id)}`));
      if (!rows.has(id)) rows.set(id, row);
      else Object.assign(rows.get(id), row);
      draw();
    } catch {
      /* gone since (a reset): the next reload drops it */
    }
  }

  return {
    async reload() {
      const data = await api.get(`/_emulator/calls${api.query({ limit: LIMIT })}`);
      rows.clear();
      for (const c of data.calls) rows.set(c.id, c);
      draw();
    },
    onEvent(event) {
      if (!event.callId || event.type === 'transcript.turn') return;
      // Several events of one instant arrive together: read the call once.
      clearTimeout(pending.get(event.callId));
      pending.set(event.callId, setTimeout(() => (pending.delete(event.callId), fetchOne(event.callId)), 50));
    },
    tick() {
      for (const tr of body.querySelectorAll('tr[data-call-id]')) {
        const row = rows.get(tr.dataset.callId);
        if (row && LIVE.has(row.status)) tr.querySelector('.duration').textContent = duration(durationOf(row, ctx));
      }
    },
    close() {
      for (const t of pending.values()) clearTimeout(t);
    },
  };
}
