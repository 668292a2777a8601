// The request journal: the last vendor requests (any client's), filtered;
// cleared all at once or one tenant's.

import * as api from './api.js';
import { field, h, input, recordTable, select, values } from './dom.js';

const filters = {};

export function render(main, ctx) {
  const list = h('div', { id: 'journal-list' });
  const count = h('p', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter the journal',
      onsubmit: (e) => {
        e.preventDefault();
        Object.assign(filters, { vendor: '', tenant: '', method: '', status: '', route: '' }, values(form));
        ctx.act(() => null);
      },
    },
    field('Vendor', select('vendor', [['', 'any vendor'], ...new Set(ctx.tenants.map((t) => t.vendor))], filters.vendor)),
    field('Tenant', select('tenant', [['', 'any tenant'], ...ctx.tenants.map((t) => [t.id, `${t.name} (${t.id})`])], filters.tenant)),
    field('Method', select('method', [['', 'any method'], 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'], filters.method)),
    field('Status', input('status', { value: filters.status || '', inputmode: 'numeric', size: 5 })),
    field('Route', input('route', { value: filters.route || '', placeholder: '/api/v1/calls/{callId}' })),
    h('button', { type: 'submit' }, 'Show'),
  );
  main.append(
    h('div', { class: 'heading' },
      h('h2', {}, 'Request journal'),
      h('button', {
        type: 'button',
        class: 'danger',
        id: 'clear-journal',
        onclick: () => ctx.act(() => api.del(`/_emulator/journal${api.query({ tenant: filters.tenant })}`), filters.tenant ? `Journal of ${filters.tenant} cleared` : 'Journal cleared'),
      }, 'Clear journal'),
    ),
    form,
    count,
    list,
  );
  return {
    async reload() {
      const page = await api.get(`/_emulator/journal${api.query({ ...filters, limit: 200 })}`);
      count.textContent = `${page.total} request${page.total === 1 ? '' : 's'} recorded (the journal keeps ${page.capacity}); newest first`;
      const rows = page.entries.reverse().map((e) => ({ ...e, latencyMs: e.latencyMs.toFixed(1) }));
      list.replaceChildren(
        rows.length
          ? recordTable(rows, 'Vendor requests', ['seq', 'at', 'method', 'path', 'query', 'vendor', 'tenant', 'route', 'status', 'latencyMs', 'fault'])
          : h('p', {}, 'No request recorded.'),
      );
    },
  };
}
