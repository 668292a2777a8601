// Webhook endpoints (list, add, remove) and their deliveries, when this
// server has them (they come with the events work).

import * as api from './api.js';
import { field, h, input, recordTable, select, values } from './dom.js';

const ENDPOINTS = '/_emulator/webhooks';
const DELIVERIES = '/_emulator/webhooks/deliveries';

const rowsOf = (data) => (Array.isArray(data) ? data : Object.values(data || {}).find(Array.isArray) || []);

export function render(main, ctx) {
  main.append(h('h2', {}, 'Webhooks'));
  if (!ctx.has(ENDPOINTS) && !ctx.has(DELIVERIES)) {
    main.append(h('p', {}, 'This server does not deliver webhooks.'));
    return null;
  }
  const endpoints = h('div', { id: 'webhook-endpoints' });
  const deliveries = h('div', { id: 'webhook-deliveries' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'add-webhook',
      onsubmit: (e) => {
        e.preventDefault();
        const v = values(form);
        if (v.events) v.events = v.events.split(',').map((x) => x.trim()).filter(Boolean);
        ctx.act(() => api.post(ENDPOINTS, v), 'Webhook endpoint added');
      },
    },
    h('h3', {}, 'Add an endpoint'),
    h('div', { class: 'grid' },
      field('Tenant', select('tenant', [['', 'every tenant'], ...ctx.tenants.map((t) => [t.id, `${t.name} (${t.id})`])])),
      field('URL', input('url', { type: 'url', required: true, placeholder: 'http://127.0.0.1:9000/hook' })),
      field('Events', input('events', { placeholder: 'default events' }), 'comma-separated'),
      field('Secret', input('secret', { placeholder: 'no signature' })),
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Add endpoint')),
  );
  if (ctx.has(ENDPOINTS)) main.append(h('h3', {}, 'Endpoints'), endpoints, form);
  if (ctx.has(DELIVERIES)) main.append(h('h3', {}, 'Deliveries'), deliveries);
  return {
    async reload() {
      if (ctx.has(ENDPOINTS)) {
        const rows = rowsOf(await api.get(ENDPOINTS));
        if (!rows.length) endpoints.replaceChildren(h('p', {}, 'No endpoints.'));
        else {
          const table = recordTable(rows, 'Webhook endpoints', ['id', 'url', 'tenant', 'kind', 'events', 'signed', 'source', 'pending', 'dropped']);
          table.querySelector('thead tr').append(h('th', { scope: 'col' }, 'Remove'));
          table.querySelectorAll('tbody tr').forEach((tr, i) => {
            const id = rows[i].id;
            tr.append(h('td', {}, id ? h('button', { type: 'button', class: 'secondary', onclick: () => ctx.act(() => api.del(`${ENDPOINTS}/${encodeURIComponent(id)}`), `${id} removed`) }, `Remove ${id}`) : ''));
          });
          endpoints.replaceChildren(table);
        }
      }
      if (ctx.has(DELIVERIES)) {
        const rows = rowsOf(await api.get(DELIVERIES));
        const cols = ['id', 'at', 'event', 'tenant', 'callId', 'url', 'status', 'attempts', 'responseStatus', 'latencyMs', 'error'];
        deliveries.replaceChildren(rows.length ? recordTable(rows.slice(-200).reverse(), 'Webhook deliveries, every tenant, newest first', cols) : h('p', {}, 'No deliveries yet.'));
      }
    },
  };
}
