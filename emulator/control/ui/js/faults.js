// Fault rules: the list in the order they are tried, add one, remove one or
// all. Hits count requests made by any client.

import * as api from './api.js';
import { field, h, input, recordTable, select, values } from './dom.js';

const NUMBERS = new Set(['status', 'retryAfter', 'probability', 'times']);

export function render(main, ctx) {
  const list = h('div', { id: 'faults-list' });
  const vendors = [...new Set(ctx.tenants.map((t) => t.vendor))];
  const form = h(
    'form',
    {
      id: 'add-fault',
      class: 'card',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = values(form);
        for (const k of Object.keys(body)) if (NUMBERS.has(k)) body[k] = Number(body[k]);
        for (const k of ['delay', 'delayMax']) if (body[k] && /^\d+(\.\d+)?$/.test(body[k])) body[k] = Number(body[k]);
        await ctx.act(() => api.post('/_emulator/faults', body), 'Fault rule added');
      },
    },
    h('h3', {}, 'Add a fault rule'),
    h('div', { class: 'grid' },
      field('Vendor', select('vendor', [['', 'any vendor'], ...vendors])),
      field('Route', input('route', { placeholder: '/api/v1/calls/{callId}' }), 'a route template, a path, or a glob such as /v2/api/*'),
      field('Method', select('method', [['', 'any method'], 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'])),
      field('Tenant', select('tenant', [['', 'any tenant'], ...ctx.tenants.map((t) => [t.id, `${t.name} (${t.id})`])])),
      field('Status', input('status', { placeholder: '429', inputmode: 'numeric' }), 'answer with this status in the vendor’s error shape'),
      field('Message', input('message', { placeholder: 'the status phrase' })),
      field('Retry-After (s)', input('retryAfter', { inputmode: 'numeric' })),
      field('Delay', input('delay', { placeholder: '250ms' }), 'latency to add'),
      field('Delay up to', input('delayMax', { placeholder: '1s' })),
      field('Probability', input('probability', { placeholder: '1', inputmode: 'decimal' })),
      field('Times', input('times', { placeholder: 'unlimited', inputmode: 'numeric' })),
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Add fault')),
  );
  main.append(
    h('div', { class: 'heading' },
      h('h2', {}, 'Faults'),
      h('button', { type: 'button', class: 'danger', id: 'clear-faults', onclick: () => ctx.act(() => api.del('/_emulator/faults'), 'Every fault rule removed') }, 'Clear all faults'),
    ),
    list,
    form,
  );
  return {
    async reload() {
      const { faults } = await api.get('/_emulator/faults');
      if (!faults.length) return list.replaceChildren(h('p', {}, 'No fault rules.'));
      const cols = ['id', 'vendor', 'route', 'method', 'tenant', 'status', 'delay', 'delayMax', 'probability', 'times', 'hits'];
      const table = recordTable(faults, 'Fault rules, in the order they are tried', cols);
      const rows = table.querySelectorAll('tbody tr');
      table.querySelector('thead tr').append(h('th', { scope: 'col' }, 'Remove'));
      faults.forEach((f, i) => {
        rows[i].dataset.fault = f.id;
        rows[i].append(h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => ctx.act(() => api.del(`/_emulator/faults/${encodeURIComponent(f.id)}`), `${f.id} removed`) }, `Remove ${f.id}`)));
      });
      list.replaceChildren(table);
    },
  };
}
