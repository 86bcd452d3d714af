// Server: version, id, listeners, the TLS certificate's expiry and the store's size.

import * as api from './api.js';
import {h, fill, badge, formatTime, formatBytes} from './dom.js';

// A certificate's expiry with a badge: red when expired, amber within 30 days.
function expiry(cert) {
  const days = typeof cert.daysLeft === 'number' ? cert.daysLeft : null;
  const kind = days === null ? '' : days < 0 ? 'state-bad' : days < 30 ? 'state-warn' : 'state-ok';
  return [formatTime(cert.expires), ' ', days === null ? null : badge(days < 0 ? 'expired' : `${days} days left`, kind)];
}

export async function render(ctx) {
  const {section} = ctx;
  ctx.heading('Server');
  const s = await api.get('/api/v1/server');
  if (!ctx.alive()) return;
  const facts = h('dl', {class: 'facts'});
  const add = (term, ...value) => facts.append(h('dt', null, term), h('dd', null, value));
  add('Version', String(s.version ?? '—'));
  add('Server ID', h('code', null, String(s.serverId ?? '—')));
  add('Root category', h('code', null, String(s.rootCategoryId ?? '—')));
  if (s.started) add('Started', formatTime(s.started));
  const listeners = Array.isArray(s.listeners) ? s.listeners : [];
  add('Listeners', listeners.length === 0 ? 'none' : h('ul', {class: 'plain'}, listeners.map((l) =>
    h('li', null, `${l.scheme}://${l.address}:${l.port}`))));
  // Each HTTPS listener names the certificate it presents.
  const secured = listeners.filter((l) => l.certificate && typeof l.certificate === 'object');
  if (secured.length === 0) add('TLS certificate', 'none: HTTPS is not configured');
  for (const l of secured) {
    add(`TLS certificate (port ${l.port})`, String(l.certificate.subject ?? ''));
    add('Certificate expires', ...expiry(l.certificate));
  }
  if (s.store && typeof s.store === 'object') {
    add('Store size', formatBytes(s.store.bytes));
    if ('commits' in s.store) add('Commits', String(s.store.commits));
    if ('resources' in s.store) add('Resources', String(s.store.resources));
  }
  fill(section.appendChild(h('div')), facts);
}
