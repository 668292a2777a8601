// A few DOM and formatting helpers; every view builds its elements with h().

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let fieldIds = 0;

// A labelled control: <div class="field"><label for=id>text</label>control</div>.
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldIds}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', {}, hint) : null);
}

export function select(name, options, value) {
  return h(
    'select',
    { name },
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: v === value }, text);
    }),
  );
}

export function input(name, props = {}) {
  return h('input', { name, type: 'text', autocomplete: 'off', ...props });
}

// Form fields as an object, empty ones left out.
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  return out;
}

// Virtual instants are shown in UTC: the emulator's clocks are not the wall's.
export function time(iso) {
  if (!iso) return '';
  return iso.slice(11, 19);
}

export function dateTime(iso) {
  if (!iso) return '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function isoOf(epoch) {
  return new Date(epoch * 1000).toISOString();
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export const LIVE = new Set(['connecting', 'ringing', 'active']);
export const ENDED = new Set(['completed', 'failed', 'cancelled', 'no_answer', 'busy']);
export const STATUSES = ['scheduled', 'queued', 'initiated', 'connecting', 'ringing', 'active', 'completed', 'failed', 'cancelled', 'no_answer', 'busy'];

export function badge(status) {
  return h('span', { class: `badge status-${status || 'none'}` }, status || 'not yet');
}

// A table of plain records (for shapes the page does not know in advance).
// `columns`: the ones to show, of those the rows have (default: all).
export function recordTable(rows, caption, columns) {
  const all = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const chosen = columns ? columns.filter((c) => all.includes(c)) : [];
  const cols = chosen.length ? chosen : all;
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        rows.map((r) => h('tr', {}, cols.map((c) => h('td', {}, r[c] == null ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c]))))),
      ),
    ),
  );
}
