// The JSON API client. The bearer token is kept in this module's memory only:
// never in localStorage, sessionStorage, a cookie or a URL, so a reload or a
// new tab starts logged out. A 401 from any call drops the token.

let session = null; // {token, user, role, expires}
let unauthorizedHandler = () => {};

export class ApiError extends Error {
  constructor(status, description) {
    super(description);
    this.status = status;
    this.description = description;
  }
}

export function currentSession() {
  return session;
}

export function isAdmin() {
  return session !== null && session.role === 'admin';
}

/** Called with a message when the server answers 401 to a logged-in call. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Ends the session here at once and on the server (its token is revoked there). */
export async function logout() {
  const ending = session;
  session = null;
  if (ending === null) return;
  try {
    await fetch('/api/v1/logout', {method: 'POST', cache: 'no-store', credentials: 'omit', redirect: 'error',
      headers: {Authorization: `Bearer ${ending.token}`}});
  } catch {
    // The server is gone; the token expires there by itself.
  }
}

export async function login(username, password) {
  const {data} = await send('POST', '/api/v1/login', {username, password}, false);
  if (!data || typeof data.token !== 'string') throw new ApiError(0, 'the server answered the login without a token');
  session = {token: data.token, user: String(data.user ?? username), role: String(data.role ?? ''),
    expires: data.expires ?? null};
  return session;
}

/** Sends a request; answers {status, data, next} where next is the rel="next" page path or null. */
export async function request(method, path, body) {
  if (session === null) throw new ApiError(401, 'not logged in');
  return send(method, path, body, true);
}

export async function get(path) {
  return (await request('GET', path)).data;
}

export async function post(path, body) {
  return (await request('POST', path, body ?? null)).data;
}

export async function patch(path, body) {
  return (await request('PATCH', path, body)).data;
}

export async function del(path) {
  return (await request('DELETE', path)).data;
}

/** Every page of a paginated list, following Link rel="next" up to `limit` records. */
export async function getAll(path, limit = 10000) {
  const out = [];
  let next = path;
  while (next !== null && out.length < limit) {
    const page = await request('GET', next);
    if (!Array.isArray(page.data)) throw new ApiError(page.status, `${path} did not answer a list`);
    out.push(...page.data);
    next = page.next;
  }
  return out;
}

/** Adds query parameters to a path. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

export function enc(id) {
  return encodeURIComponent(String(id));
}

async function send(method, path, body, authenticated) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error'};
  if (authenticated) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (method === 'POST') {
    init.body = '';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
      if (!response.ok) throw new ApiError(response.status, `HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
  }
  if (!response.ok) {
    const description = data && typeof data.description === 'string'
      ? data.description : `HTTP ${response.status} ${response.statusText}`.trim();
    if (response.status === 401 && authenticated) {
      session = null;
      unauthorizedHandler('Your session has ended (it expired or the server refused it). Log in again.');
    }
    throw new ApiError(response.status, description);
  }
  return {status: response.status, data, next: nextLink(response.headers.get('Link'))};
}

// The next page's path, kept only when it stays on this server: the token is
// never sent to another origin, whatever a Link header says.
function nextLink(header) {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (!m) continue;
    try {
      const url = new URL(m[1], window.location.href);
      if (url.origin !== window.location.origin) return null;
      return url.pathname + url.search;
    } catch {
      return null;
    }
  }
  return null;
}
