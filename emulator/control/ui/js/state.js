// Reset (everything, one tenant, or reseeded), and the whole state exported
// to a file and imported from one.

import * as api from './api.js';
import { field, h, input, select, values } from './dom.js';

export function render(main, ctx) {
  const resetForm = h(
    'form',
    {
      class: 'card',
      id: 'reset',
      onsubmit: (e) => {
        e.preventDefault();
        const v = values(resetForm);
        const body = {};
        if (v.tenant) body.tenant = v.tenant;
        if (v.seed) body.seed = Number(v.seed);
        const what = body.tenant ? `tenant ${body.tenant}` : 'everything';
        if (!confirm(`Reset ${what}? Calls made since the start are forgotten.`)) return;
        ctx.act(() => api.post('/_emulator/reset', body), `Reset ${what}`);
      },
    },
    h('h3', {}, 'Reset'),
    h('p', {}, 'Back to the fixtures; time is kept. One tenant only, or everything (optionally with a new seed).'),
    h('div', { class: 'grid' },
      field('Tenant', select('tenant', [['', 'everything'], ...ctx.tenants.map((t) => [t.id, `${t.name} (${t.id})`])])),
      field('New seed', input('seed', { inputmode: 'numeric', placeholder: 'keep the seed' })),
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger' }, 'Reset')),
  );

  const file = h('input', { type: 'file', name: 'file', accept: 'application/json,.json', required: true });
  const importForm = h(
    'form',
    {
      class: 'card',
      id: 'import',
      onsubmit: async (e) => {
        e.preventDefault();
        const chosen = file.files[0];
        if (!chosen) return;
        let doc;
        try {
          doc = JSON.parse(await chosen.text());
        } catch {
          ctx.notify(`${chosen.name} is not JSON`);
          return;
        }
        ctx.act(() => api.put('/_emulator/state', doc), `Imported ${chosen.name}`);
      },
    },
    h('h3', {}, 'Import'),
    h('p', {}, 'Replace everything with an exported file (fault rules and the journal are cleared, demo traffic stops).'),
    field('State file', file),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Import')),
  );

  async function download() {
    const doc = await ctx.act(() => api.get('/_emulator/state'));
    if (!doc) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    const a = h('a', { href: url, download: `call-emulator-state-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  main.append(
    h('h2', {}, 'State'),
    resetForm,
    h('section', { class: 'card' },
      h('h3', {}, 'Export'),
      h('p', {}, 'Tenants, clocks, every call’s plan and interventions, as one JSON file.'),
      h('button', { type: 'button', id: 'export', onclick: download }, 'Download state'),
    ),
    importForm,
  );
  return null;
}
