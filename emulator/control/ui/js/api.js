// The control plane over fetch: JSON in and out, the control token asked for
// once (when the server answers 401) and kept for this tab.

const TOKEN_KEY = 'call-emulator.token';
let asking = null; // one prompt shared by every request that met a 401

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function authHeaders() {
  const t = token();
  return t ? { 'x-emulator-token': t } : {};
}

// Resolves once the user has given a token (the dialog stays until then).
export function askToken(refused = false) {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  document.getElementById('token-error').hidden = !refused;
  asking = new Promise((resolve) => {
    const done = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      form.removeEventListener('submit', done);
      dialog.close();
      asking = null;
      resolve(value);
    };
    form.addEventListener('submit', done);
    // Escape would leave the page without a token: keep the dialog open.
    dialog.addEventListener('cancel', (e) => e.preventDefault(), { once: true });
    input.value = '';
    dialog.showModal();
    input.focus();
  });
  return asking;
}

export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401) {
      await askToken(attempt > 0 || token() !== null);
      continue;
    }
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const message = (data && data.error && data.error.message) || `${method} ${path} answered ${res.status}`;
      throw new ApiError(res.status, message);
    }
    return data;
  }
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

// Which control routes this server has, from its published spec (open to
// all): routes that arrive with newer versions are used only when present.
export async function routes() {
  const res = await fetch('/_emulator/openapi/control.json');
  if (!res.ok) return new Set();
  const spec = await res.json();
  return new Set(Object.keys(spec.paths || {}));
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
