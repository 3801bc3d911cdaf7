// Talking to the API: the signed-in token, errors a person can act on, and a banner for
// network failures. Every page imports this module.

const KEY = 'fieldroute.token';

export function token() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY);
}

export function saveToken(value, remember) {
  sessionStorage.setItem(KEY, value);
  if (remember) localStorage.setItem(KEY, value);
  else localStorage.removeItem(KEY);
}

export function signOut(reason) {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  location.assign(reason ? `/?reason=${encodeURIComponent(reason)}` : '/');
}

/** A request the server refused: `status` and its `detail` (text or FastAPI's list). */
export class ApiError extends Error {
  constructor(status, detail) {
    super(describe(detail) || `the server answered ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {}

function describe(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join('.') || 'request'}: ${d.msg}`).join('; ');
  }
  if (detail && typeof detail === 'object') return detail.message || JSON.stringify(detail);
  return '';
}

/**
 * fetch with the bearer token. A 401 sends the person to the sign-in page, which says why;
 * other refusals throw ApiError, an unreachable server NetworkError (and shows the banner).
 */
export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token() || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    offline(true);
    throw new NetworkError(`cannot reach the server (${e.message}); nothing was lost`);
  }
  offline(false);
  if (response.status === 401) {
    signOut('refused');
    throw new ApiError(401, 'signed out');
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, detail);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

let banner;
function offline(on) {
  banner = banner || document.getElementById('network-banner');
  if (!banner) return;
  banner.hidden = !on;
  if (on) {
    banner.textContent =
      'Cannot reach the server. Your changes are kept on this device and sent when the connection is back.';
  }
}

/** The header every signed-in page shares: skip link, pages, who, sign out, and the
 * banner that says when the server cannot be reached. */
function header() {
  const top = document.getElementById('top');
  if (!top || top.childElementCount) return;
  const page = (href, roles, text) => el('a', { href, 'data-roles': roles, hidden: true }, text);
  top.replaceWith(
    el('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    el(
      'header',
      { class: 'top' },
      el('span', { class: 'brand' }, 'fieldroute'),
      el(
        'nav',
        { 'aria-label': 'Pages' },
        page('/board', 'dispatcher planner', 'Board'),
        page('/planner', 'dispatcher planner', 'Planner'),
        page('/engineer', 'engineer', 'My day'),
      ),
      el('span', { id: 'who', class: 'who' }),
      el('button', { id: 'sign-out', type: 'button', class: 'link' }, 'Sign out'),
    ),
    el('div', { id: 'network-banner', class: 'banner error', role: 'alert', hidden: true }),
  );
}

/** The signed-in token's role and details (GET /me); to the sign-in page without one. */
export async function me(...roles) {
  header();
  if (!token()) {
    signOut('signed-out');
    throw new Error('not signed in');
  }
  const who = await api('/me');
  if (roles.length && !roles.includes(who.role)) {
    location.assign(pageOf(who.role));
    throw new Error(`a ${who.role} token opens another page`);
  }
  const nav = document.getElementById('who');
  if (nav) nav.textContent = who.engineer_name ? `${who.engineer_name} (${who.role})` : who.role;
  document.getElementById('sign-out')?.addEventListener('click', () => signOut());
  for (const link of document.querySelectorAll('[data-roles]')) {
    link.hidden = !link.dataset.roles.split(' ').includes(who.role);
  }
  return who;
}

export function pageOf(role) {
  return { dispatcher: '/board', planner: '/planner', engineer: '/engineer' }[role] || '/';
}

/** Shows `text` in the page's live message area (`kind`: info, error, ok). */
export function say(text, kind = 'info') {
  const box = document.getElementById('message');
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

export function minutes(seconds) {
  const m = Math.round(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`;
}

/** Element helper: el('td', {class: 'x'}, 'text', child...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const STATUS_TEXT = {
  pending: 'pending',
  en_route: 'en route',
  started: 'started',
  done: 'done',
  cannot_complete: 'cannot complete',
  cancelled: 'cancelled',
  deleted: 'deleted',
};
