// Entry point: the login page, the navigation shell and the hash router.
// Pages are modules exporting render(ctx, ...params); a page may register
// cleanups (stop polling) with ctx.onLeave, which run when another page
// replaces it, when the user logs out and when the session ends.

import * as api from './api.js';
import {h, fill, field, message} from './dom.js';
import * as configs from './page-configs.js';
import * as config from './page-config.js';
import * as wizard from './page-wizard.js';
import * as resources from './page-resources.js';
import * as resource from './page-resource.js';
import * as users from './page-users.js';
import * as server from './page-server.js';

const ROUTES = [
  {pattern: /^#\/configs$/, page: configs, nav: 'configs'},
  {pattern: /^#\/configs\/([^/]+)$/, page: config, nav: 'configs'},
  {pattern: /^#\/wizard$/, page: wizard, nav: 'configs'},
  {pattern: /^#\/resources$/, page: resources, nav: 'resources'},
  {pattern: /^#\/resources\/([^/]+)$/, page: resource, nav: 'resources'},
  {pattern: /^#\/users$/, page: users, nav: 'users'},
  {pattern: /^#\/server$/, page: server, nav: 'server'},
];

const NAV = [
  {key: 'configs', href: '#/configs', text: 'Remote repository management'},
  {key: 'resources', href: '#/resources', text: 'Resources'},
  {key: 'users', href: '#/users', text: 'Users', admin: true},
  {key: 'server', href: '#/server', text: 'Server'},
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let leaveHandlers = [];
let generation = 0;
let flash = null; // a message for the next page, e.g. "configuration created"

function leavePage() {
  const handlers = leaveHandlers;
  leaveHandlers = [];
  generation += 1;
  for (const fn of handlers) {
    try {
      fn();
    } catch (e) {
      // A cleanup that fails must not keep the next page from showing.
      reportError(e);
    }
  }
}

/** Shows a message on the next page rendered (after a navigation). */
export function setFlash(kind, text) {
  flash = {kind, text};
}

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function showLogin(notice) {
  leavePage();
  nav.hidden = true;
  nav.replaceChildren();
  document.title = 'Log in · Tandem administration';
  const user = field('User name', h('input', {type: 'text', name: 'username', autocomplete: 'username',
    required: true, autocapitalize: 'none', spellcheck: 'false'}));
  const password = field('Password', h('input', {type: 'password', name: 'password',
    autocomplete: 'current-password', required: true}));
  const status = h('div', {class: 'status-area', 'aria-live': 'assertive'});
  if (notice) status.append(message('error', notice));
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Log in');
  const form = h('form', {class: 'login', novalidate: true}, user.row, password.row,
    h('div', {class: 'actions'}, submit), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = user.control.value.trim();
    const secret = password.control.value;
    if (!name || !secret) {
      fill(status, message('error', 'Enter your user name and password.'));
      return;
    }
    submit.disabled = true;
    fill(status, message('info', 'Logging in…'));
    try {
      await api.login(name, secret);
      password.control.value = '';
      status.replaceChildren();
      showShell();
      if (!ROUTES.some((r) => r.pattern.test(window.location.hash))) window.location.hash = '#/configs';
      else route();
    } catch (e) {
      password.control.value = '';
      fill(status, message('error', `Login failed: ${e.description || e.message}`));
      password.control.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const heading = h('h1', {tabindex: '-1'}, 'Log in');
  fill(main, h('section', {class: 'page narrow'}, heading,
    h('p', null, 'Log in with your Tandem account to manage remote repositories, resources and users.'),
    form,
    h('p', {class: 'hint'}, 'The session is kept in this page’s memory only: reloading the page or ' +
      'opening it in a new tab asks you to log in again.')));
  (notice ? heading : user.control).focus();
}

function showShell() {
  const s = api.currentSession();
  const links = NAV.filter((item) => !item.admin || s.role === 'admin').map((item) =>
    h('li', null, h('a', {href: item.href, dataset: {nav: item.key}}, item.text)));
  const logout = h('button', {type: 'button', class: 'link-button', on: {click: () => {
    api.logout();
    showLogin(null);
    history.replaceState(null, '', window.location.pathname);
  }}}, 'Log out');
  fill(nav, h('ul', {class: 'nav-links'}, links),
    h('p', {class: 'who'}, h('span', {class: 'user'}, s.user), ' ', h('span', {class: 'role'}, `(${s.role})`), ' ',
      logout));
  nav.hidden = false;
}

async function route() {
  if (api.currentSession() === null) {
    showLogin(null);
    return;
  }
  const hash = window.location.hash || '#/configs';
  const match = ROUTES.map((r) => ({r, m: r.pattern.exec(hash)})).find((x) => x.m);
  leavePage();
  const myGeneration = generation;
  for (const a of nav.querySelectorAll('a[data-nav]')) {
    if (match && a.dataset.nav === match.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const section = h('section', {class: 'page'});
  fill(main, section);
  const pendingFlash = flash;
  flash = null;
  const ctx = {
    section,
    navigate,
    setFlash,
    /** True while this page is still the one shown. */
    alive: () => generation === myGeneration && api.currentSession() !== null,
    onLeave: (fn) => { leaveHandlers.push(fn); },
    /** Puts the page's heading first in the page, focuses it and names the window after it. */
    heading(text) {
      const el = h('h1', {tabindex: '-1'}, text);
      document.title = `${text} · Tandem administration`;
      section.prepend(el);
      if (pendingFlash) el.after(message(pendingFlash.kind, pendingFlash.text));
      el.focus();
      return el;
    },
  };
  if (!match) {
    ctx.heading('Page not found');
    section.append(h('p', null, 'There is no page at this address. ',
      h('a', {href: '#/configs'}, 'Go to Remote repository management')));
    return;
  }
  try {
    await match.r.page.render(ctx, ...match.m.slice(1).map(decodeURIComponent));
  } catch (e) {
    if (!ctx.alive()) return;
    if (!section.querySelector('h1')) ctx.heading('Error');
    section.append(message('error', e.description || e.message || String(e)));
  }
}

api.onUnauthorized((text) => showLogin(text));

document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  const target = main.querySelector('h1') || main;
  target.focus();
});

window.addEventListener('hashchange', () => { route(); });
document.getElementById('loading')?.remove();
route();
