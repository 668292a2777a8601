// The dashboard shell: shared state (tenants, clocks, the routes this server
// has), the event stream, the header, and the sections by URL hash.

import * as api from './api.js';
import { dateTime } from './dom.js';
import { openStream } from './stream.js';
import * as calls from './calls.js';
import * as call from './call.js';
import * as create from './create.js';
import * as time from './time.js';
import * as faults from './faults.js';
import * as journal from './journal.js';
import * as webhooks from './webhooks.js';
import * as state from './state.js';

const SECTIONS = { calls, new: create, time, faults, journal, webhooks, state };
const STREAM = '/_emulator/events/stream';

// What every view reads: tenants, clocks (with when they were read, to run
// them forward between reads), the magic numbers, the routes served.
export const ctx = {
  routes: new Set(),
  tenants: [],
  clocks: new Map(), // tenant id -> clock as GET /_emulator/tenants/{id}/clock answered
  global: null,
  magic: [],
  live: 'connecting',
  view: null,

  has(path) {
    return this.routes.has(path);
  },

  tenant(id) {
    return this.tenants.find((t) => t.id === id);
  },

  // The clock's now (epoch seconds), run forward from its last read at its
  // own rate, so durations tick between events without asking the server.
  nowOf(tenantId) {
    const clock = (tenantId && this.clocks.get(tenantId)) || this.global;
    if (!clock) return Date.now() / 1000;
    const rate = clock.mode === 'realtime' ? 1 : clock.mode === 'scaled' ? clock.speed : 0;
    return clock.epoch + ((performance.now() - clock.readAt) / 1000) * rate;
  },

  async loadClocks() {
    const readAt = () => performance.now();
    const global = await api.get('/_emulator/clock');
    this.global = { ...global, readAt: readAt() };
    const clocks = await Promise.all(this.tenants.map((t) => api.get(`/_emulator/tenants/${encodeURIComponent(t.id)}/clock`)));
    this.clocks = new Map(clocks.map((c) => [c.tenant, { ...c, readAt: readAt() }]));
    showClock();
  },

  async loadTenants() {
    this.tenants = (await api.get('/_emulator/tenants')).tenants;
  },

  notify(message, kind = 'error') {
    const box = document.getElementById('notice');
    box.textContent = message;
    box.dataset.kind = kind;
    box.hidden = false;
    clearTimeout(this._noticeTimer);
    if (kind !== 'error') this._noticeTimer = setTimeout(() => (box.hidden = true), 4000);
  },

  // Runs a user action: shows its error, then refreshes clocks and the view
  // (without a stream this is how the page stays current).
  async act(fn, done) {
    try {
      const result = await fn();
      document.getElementById('notice').hidden = true;
      if (done) this.notify(done, 'ok');
      await this.refresh();
      return result;
    } catch (err) {
      this.notify(err.message || String(err));
      return undefined;
    }
  },

  async refresh() {
    await this.loadTenants();
    await this.loadClocks();
    if (this.view && this.view.reload) await this.view.reload();
  },
};

function showClock() {
  const g = ctx.global;
  if (!g) return;
  const speed = g.mode === 'scaled' ? ` ×${g.speed}` : '';
  const own = ctx.tenants.filter((t) => ctx.clocks.get(t.id)?.own).length;
  document.getElementById('clock-summary').textContent =
    `Clock: ${dateTime(new Date(ctx.nowOf(null) * 1000).toISOString())} UTC, ${g.mode}${speed}` + (own ? ` (${own} tenant clock${own > 1 ? 's' : ''})` : '');
}

function showLive(state) {
  ctx.live = state;
  const el = document.getElementById('live');
  el.dataset.state = state;
  el.textContent = {
    live: 'Live updates: on',
    connecting: 'Live updates: connecting',
    reconnecting: 'Live updates: reconnecting',
    unavailable: 'Live updates unavailable (no event stream on this server): the page refreshes after each action, or with Refresh',
  }[state];
}

let pendingClockRead = null;

function onEvent(event) {
  // Under a manual clock, events mean someone moved it (advanced, set):
  // re-read the clocks, at most a few times a second. Running clocks are
  // run forward locally.
  const manual = ctx.global?.mode === 'manual' || [...ctx.clocks.values()].some((c) => c.mode === 'manual');
  if (manual && !pendingClockRead) pendingClockRead = setTimeout(() => ((pendingClockRead = null), ctx.loadClocks().catch(() => {})), 300);
  if (ctx.view && ctx.view.onEvent) ctx.view.onEvent(event);
}

async function route() {
  const [, name = 'calls', ...rest] = (location.hash || '#/calls').slice(1).split('/');
  if (ctx.view && ctx.view.close) ctx.view.close();
  const main = document.getElementById('main');
  main.replaceChildren();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.section === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const id = rest.map(decodeURIComponent).join('/');
  const section = name === 'calls' && id ? call : SECTIONS[name] || calls;
  ctx.view = section.render(main, ctx, id) || null;
  try {
    if (ctx.view && ctx.view.reload) await ctx.view.reload();
  } catch (err) {
    ctx.notify(err.message || String(err));
  }
}

async function start() {
  ctx.routes = await api.routes();
  try {
    await ctx.loadTenants();
    await ctx.loadClocks();
    ctx.magic = (await api.get('/_emulator/magic-numbers')).numbers;
  } catch (err) {
    ctx.notify(err.message || String(err));
  }
  if (ctx.has(STREAM)) openStream(STREAM, { onEvent, onState: showLive });
  else showLive('unavailable');
  document.getElementById('refresh').addEventListener('click', () => ctx.act(() => null));
  window.addEventListener('hashchange', route);
  setInterval(() => {
    showClock();
    if (ctx.view && ctx.view.tick) ctx.view.tick();
  }, 500);
  await route();
}

start();
