// Users and roles (admins only): the list, creating a user (sync managers
// with their category scopes), changing a role, resetting a password and
// deleting a user.

import * as api from './api.js';
import {h, fill, field, choice, table, td, statusArea, formatTime} from './dom.js';
import {categoryTree, flatten, categoryPath} from './tree.js';

const ROLES = [
  ['reader', 'reader — reads everything'],
  ['writer', 'writer — also creates resources and commits'],
  ['admin', 'admin — everything, users included'],
  ['sync-manager', 'sync-manager — remote configurations within its scopes'],
];

function roleSelect(current) {
  return h('select', {name: 'role'}, ROLES.map(([value, text]) =>
    h('option', {value, selected: value === current}, text)));
}

export async function render(ctx) {
  const {section} = ctx;
  ctx.heading('Users');
  const notice = statusArea();
  const listHolder = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  const categories = await api.get('/api/v1/categories');
  if (!ctx.alive()) return;
  const tree = categoryTree(categories);

  // Category checkboxes for a sync manager's scopes.
  const scopesFieldset = (legend) => {
    const boxes = flatten(tree).map(({category, depth}) => {
      const c = choice('checkbox', category.name, {name: 'scope', value: category.id});
      c.row.classList.add(`depth-${Math.min(depth, 8)}`);
      return c;
    });
    const el = h('fieldset', {class: 'scopes'}, h('legend', null, legend),
      h('p', {class: 'hint'}, 'A sync manager manages the remote configurations whose target category lies in one of ' +
        'these (sub-categories included).'), boxes.map((b) => b.row));
    return {el, values: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value)};
  };

  // Create form.
  const name = field('Name', h('input', {type: 'text', name: 'name', required: true, autocomplete: 'off',
    autocapitalize: 'none', spellcheck: 'false'}));
  const password = field('Password', h('input', {type: 'password', name: 'new-password', required: true,
    autocomplete: 'new-password'}));
  const role = field('Role', roleSelect('reader'));
  const scopes = scopesFieldset('Scopes');
  const createStatus = statusArea();
  const syncScopes = () => { scopes.el.hidden = role.control.value !== 'sync-manager'; };
  role.control.addEventListener('change', syncScopes);
  syncScopes();
  const createForm = h('form', {class: 'panel', novalidate: true}, h('h2', null, 'Create a user'),
    name.row, password.row, role.row, scopes.el,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create user')), createStatus.el);
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {name: name.control.value.trim(), password: password.control.value, role: role.control.value};
    if (!body.name || !body.password) {
      createStatus.show('error', 'Enter a name and a password.');
      return;
    }
    if (body.role === 'sync-manager') {
      body.scopes = scopes.values();
      if (body.scopes.length === 0) {
        createStatus.show('error', 'A sync manager needs at least one scope: check a category.');
        return;
      }
    }
    try {
      await api.post('/api/v1/users', body);
      password.control.value = '';
      name.control.value = '';
      createStatus.show('ok', `User “${body.name}” created.`);
      await load();
    } catch (e) {
      password.control.value = '';
      createStatus.show('error', `The user was not created: ${e.description || e.message}`);
    }
  });

  section.append(notice.el, listHolder, createForm);

  const editRow = (user, tr, kind) => {
    const existing = tr.nextElementSibling;
    if (existing && existing.classList.contains('edit-row')) existing.remove();
    const status = statusArea();
    let content;
    if (kind === 'role') {
      const select = field(`New role for ${user.name}`, roleSelect(user.role));
      content = h('form', {novalidate: true}, select.row,
        h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save role'),
          h('button', {type: 'button', on: {click: () => editTr.remove()}}, 'Cancel')), status.el);
      content.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await api.patch(`/api/v1/users/${api.enc(user.name)}`, {role: select.control.value});
          notice.show('ok', `${user.name} is now ${select.control.value}.`);
          await load();
        } catch (e) {
          status.show('error', e.description || e.message);
        }
      });
    } else if (kind === 'password') {
      const pw = field(`New password for ${user.name}`, h('input', {type: 'password', autocomplete: 'new-password',
        required: true}));
      content = h('form', {novalidate: true}, pw.row,
        h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save password'),
          h('button', {type: 'button', on: {click: () => editTr.remove()}}, 'Cancel')), status.el);
      content.addEventListener('submit', async (event) => {
        event.preventDefault();
        const secret = pw.control.value;
        if (!secret) {
          status.show('error', 'Enter the new password.');
          return;
        }
        try {
          await api.patch(`/api/v1/users/${api.enc(user.name)}`, {password: secret});
          pw.control.value = '';
          editTr.remove();
          notice.show('ok', `The password of ${user.name} was reset.`);
        } catch (e) {
          pw.control.value = '';
          status.show('error', e.description || e.message);
        }
      });
    } else {
      const yes = h('button', {type: 'button', class: 'danger', on: {click: async () => {
        try {
          await api.del(`/api/v1/users/${api.enc(user.name)}`);
          notice.show('ok', `User ${user.name} deleted.`);
          await load();
        } catch (e) {
          status.show('error', e.description || e.message);
        }
      }}}, `Delete ${user.name}`);
      content = h('div', {role: 'group', 'aria-label': `Confirm deleting ${user.name}`},
        h('p', null, `Delete the user ${user.name}? Their sessions end at once.`),
        h('div', {class: 'actions'}, yes, h('button', {type: 'button', on: {click: () => editTr.remove()}}, 'Cancel')),
        status.el);
    }
    const editTr = h('tr', {class: 'edit-row'}, h('td', {colspan: '5'}, content));
    tr.after(editTr);
    const first = editTr.querySelector('input, select, button');
    if (first) first.focus();
  };

  async function load() {
    const list = await api.get('/api/v1/users');
    if (!ctx.alive()) return;
    const me = api.currentSession()?.user;
    const trs = list.map((user) => {
      const tr = h('tr', {dataset: {user: user.name}});
      const scopesText = (user.scopes || []).map((id) => categoryPath(tree, id)).join(', ');
      tr.append(
        td('Name', user.name, user.name === me ? h('span', {class: 'small muted'}, ' (you)') : null),
        td('Role', user.role),
        td('Scopes', scopesText || '—'),
        td('Created', formatTime(user.created)),
        td('Actions', h('div', {class: 'actions compact'},
          h('button', {type: 'button', on: {click: () => editRow(user, tr, 'role')}}, 'Change role'),
          h('button', {type: 'button', on: {click: () => editRow(user, tr, 'password')}}, 'Reset password'),
          h('button', {type: 'button', class: 'danger', on: {click: () => editRow(user, tr, 'delete')}}, 'Delete'))));
      return tr;
    });
    fill(listHolder, table('Users', ['Name', 'Role', 'Scopes', 'Created', 'Actions'], trs, {class: 'data users'}).table);
  }
  await load();
}
