// The global clock and each tenant's: mode, speed, pause and resume,
// advance by a step, set now; a tenant's own clock can be dropped.

import * as api from './api.js';
import { dateTime, field, h, input, select, values } from './dom.js';

const STEPS = ['1s', '10s', '30s', '1m', '5m', '15m', '1h', '1d'];

function clockCard(ctx, title, clock, base, tenantId) {
  const put = (body, done) => ctx.act(() => api.put(base, body), done);
  const now = h('output', { class: 'now-value' }, dateTime(new Date(ctx.nowOf(tenantId) * 1000).toISOString()));
  const paused = clock.mode === 'manual';
  const setForm = h(
    'form',
    {
      class: 'row',
      'aria-label': `${title}: mode and speed`,
      onsubmit: (e) => {
        e.preventDefault();
        const v = values(e.target);
        const body = { mode: v.mode };
        if (v.speed) body.speed = Number(v.speed);
        put(body, `${title}: ${v.mode}`);
      },
    },
    field('Mode', select('mode', ['realtime', 'scaled', 'manual'], clock.mode)),
    field('Speed', input('speed', { value: String(clock.speed), inputmode: 'decimal', size: 6 })),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const advanceForm = h(
    'form',
    {
      class: 'row',
      'aria-label': `${title}: advance`,
      onsubmit: (e) => {
        e.preventDefault();
        const by = values(e.target).by;
        ctx.act(() => api.post(`${base}/advance`, { by: /^\d+(\.\d+)?$/.test(by) ? Number(by) : by }), `${title}: advanced ${by}`);
      },
    },
    field('Advance by', input('by', { value: '10s', list: 'steps', size: 8 })),
    h('button', { type: 'submit' }, 'Advance'),
  );
  const nowForm = h(
    'form',
    {
      class: 'row',
      'aria-label': `${title}: set now`,
      onsubmit: (e) => {
        e.preventDefault();
        put({ now: values(e.target).now }, `${title}: now set`);
      },
    },
    field('Set now (ISO 8601)', input('now', { placeholder: '2025-12-01T15:30:10Z', size: 24 })),
    h('button', { type: 'submit' }, 'Set now'),
  );
  return {
    el: h(
      'section',
      { class: 'card clock', dataset: { clock: tenantId || 'global' }, 'aria-label': title },
      h('h3', {}, title),
      h('p', {}, 'Now ', now, ` UTC · ${clock.mode}${clock.mode === 'scaled' ? ` ×${clock.speed}` : ''}${tenantId && !clock.own ? ' · follows the global clock' : ''}`),
      h('div', { class: 'row' },
        paused
          ? h('button', { type: 'button', onclick: () => put({ mode: 'realtime' }, `${title}: running`) }, 'Resume (realtime)')
          : h('button', { type: 'button', onclick: () => put({ mode: 'manual' }, `${title}: paused`) }, 'Pause'),
        tenantId && clock.own ? h('button', { type: 'button', class: 'secondary', onclick: () => ctx.act(() => api.del(base), `${title}: follows the global clock`) }, 'Drop own clock') : null,
      ),
      setForm,
      advanceForm,
      nowForm,
    ),
    tick() {
      now.textContent = dateTime(new Date(ctx.nowOf(tenantId) * 1000).toISOString());
    },
  };
}

export function render(main, ctx) {
  const holder = h('div', { class: 'clocks' });
  let cards = [];
  main.append(
    h('h2', {}, 'Time'),
    h('p', {}, 'A tenant without its own clock follows the global one; changing a tenant’s clock gives it its own, frozen at the global now.'),
    h('datalist', { id: 'steps' }, STEPS.map((s) => h('option', { value: s }))),
    holder,
  );
  return {
    reload() {
      cards = [clockCard(ctx, 'Global clock', ctx.global, '/_emulator/clock', null)];
      for (const t of ctx.tenants) {
        cards.push(clockCard(ctx, `${t.name} (${t.vendor}, ${t.id})`, ctx.clocks.get(t.id), `/_emulator/tenants/${encodeURIComponent(t.id)}/clock`, t.id));
      }
      // Keep focus where it was across a redraw (after Advance, say).
      const active = document.activeElement;
      const key = active && active.closest('[data-clock]') ? [active.closest('[data-clock]').dataset.clock, active.textContent || active.name] : null;
      holder.replaceChildren(...cards.map((c) => c.el));
      if (key) {
        const card = holder.querySelector(`[data-clock="${CSS.escape(key[0])}"]`);
        const again = card && [...card.querySelectorAll('button, input, select')].find((x) => (x.textContent || x.name) === key[1]);
        if (again) again.focus();
      }
    },
    tick() {
      for (const c of cards) c.tick();
    },
  };
}
