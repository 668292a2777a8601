// Create a call for any tenant: agent, number (the magic-number table to
// pick from), outcome and timings; what is left empty comes from the seed.

import * as api from './api.js';
import { field, h, input, select, values } from './dom.js';

const TIMINGS = [
  ['startDelay', 'Start after', 'how long from now it starts connecting, e.g. 0s, 10s, 5m'],
  ['ringAt', 'Rings at', 'seconds after start, e.g. 1s'],
  ['answerAt', 'Answered at', 'seconds after start, e.g. 5s'],
  ['talkFor', 'Talks for', 'from answer to end, e.g. 2m'],
  ['giveUpAt', 'Gives up at', 'seconds after start when nobody answers'],
];

export function render(main, ctx) {
  const tenantSel = select('tenant', ctx.tenants.map((t) => [t.id, `${t.name} (${t.vendor}, ${t.id})`]));
  const agentSel = select('agentId', []);
  const phone = input('contactPhone', { list: 'magic-list', placeholder: '+15005550001', inputmode: 'tel' });
  const magicBody = h('tbody');

  function agents() {
    const t = ctx.tenant(tenantSel.value);
    agentSel.replaceChildren(...(t ? t.agents : []).filter((a) => a.type === 'voice').map((a) => h('option', { value: a.id }, `${a.name} (${a.id})`)));
  }
  tenantSel.addEventListener('change', agents);
  agents();

  const form = h(
    'form',
    {
      id: 'new-call',
      class: 'card',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = values(form);
        const call = await ctx.act(() => api.post('/_emulator/calls', body), 'Call created');
        if (call) location.hash = `#/calls/${encodeURIComponent(call.id)}`;
      },
    },
    h('div', { class: 'grid' },
      field('Tenant', tenantSel),
      field('Agent', agentSel),
      field('Number', phone, 'Any E.164 number, or a magic number from the table below'),
      field('Contact name', input('contactName', { placeholder: 'drawn from the seed' })),
      field('Direction', select('direction', [['', 'from the seed'], ['outbound', 'outbound'], ['inbound', 'inbound']])),
      field('Outcome', select('outcome', [['', 'from the number or the seed'], 'completed', 'failed', 'cancelled', 'no_answer', 'busy'])),
      field('Failure reason', input('failureReason', { placeholder: 'with outcome failed' })),
      ...TIMINGS.map(([name, label, hint]) => field(label, input(name, { placeholder: hint.split('e.g. ')[1] || '' }), hint)),
    ),
    h('datalist', { id: 'magic-list' }, ctx.magic.map((m) => h('option', { value: m.phone }, m.name))),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Create call')),
  );

  for (const m of ctx.magic) {
    magicBody.append(
      h('tr', {},
        h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => ((phone.value = m.phone), phone.focus()) }, `Use ${m.phone}`)),
        h('td', {}, m.name),
        h('td', {}, m.description),
      ),
    );
  }

  main.append(
    h('h2', {}, 'New call'),
    form,
    h('section', { 'aria-labelledby': 'magic-h' },
      h('h3', { id: 'magic-h' }, 'Magic numbers'),
      h('div', { class: 'scroll' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Magic numbers'), h('thead', {}, h('tr', {}, ['Number', 'Name', 'What happens'].map((c) => h('th', { scope: 'col' }, c)))), magicBody)),
    ),
  );
  return {
    reload() {
      // Tenants may have come or gone: keep the chosen one if it is still there.
      const chosen = tenantSel.value;
      tenantSel.replaceChildren(...ctx.tenants.map((t) => h('option', { value: t.id, selected: t.id === chosen }, `${t.name} (${t.vendor}, ${t.id})`)));
      agents();
    },
  };
}
