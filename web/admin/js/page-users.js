// Users and roles (admins only): the list, creating a user (sync managers
// with their category scopes), changing a role or a sync manager's scopes,
// resetting a password and deleting a user.

import * as api from './api.js';
import {h, fill, field, choice, table, td, statusArea, passwordForm, formatTime} from './dom.js';
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

  // Category checkboxes for a sync manager's scopes, `checked` (ids) checked.
  const scopesFieldset = (legend, checked = []) => {
    const boxes = flatten(tree).map(({category, depth}) => {
      const c = choice('checkbox', category.name, {name: 'scope', value: category.id,
        checked: checked.includes(category.id)});
      c.row.classList.add(`depth-${Math.min(depth, 8)}`);
      return c;
    });
    const el = h('fieldset', {class: 'scopes'}, h('legend', null, legend),
      h('p', {class: 'hint'}, 'A sync manager manages the remote configurations whose target category lies in one of ' +
        'these (sub-categories included).'), boxes.map((b) => b.row));
    return {el, values: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value),
      first: () => boxes.length ? boxes[0].input : null};
  };
  // Shows the scopes only while the role chosen is sync-manager.
  const scopesFollow = (select, scopes) => {
    const sync = () => { scopes.el.hidden = select.value !== 'sync-manager'; };
    select.addEventListener('change', sync);
    sync();
  };
  const NEEDS_SCOPE = 'A sync manager needs at least one scope: check a category.';
  // A scope by its category's path of names; an id this server does not know, short.
  const scopeView = (id) => (tree.byId.has(id) ? h('span', {class: 'scope'}, categoryPath(tree, id))
    : h('code', {title: String(id)}, `${String(id).slice(0, 8)}…`));

  // Create form.
  const name = field('Name', h('input', {type: 'text', name: 'name', required: true, autocomplete: 'off',
    autocapitalize: 'none', spellcheck: 'false'}));
  const password = field('Password', h('input', {type: 'password', name: 'new-password', required: true,
    autocomplete: 'new-password'}));
  const role = field('Role', roleSelect('reader'));
  const scopes = scopesFieldset('Scopes');
  const createStatus = statusArea();
  scopesFollow(role.control, scopes);
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
        createStatus.show('error', NEEDS_SCOPE);
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
    const close = () => editTr.remove();
    const userPath = `/api/v1/users/${api.enc(user.name)}`;
    let content;
    let focus = null;
    if (kind === 'role' || kind === 'scopes') {
      // The role, and for a sync manager its scopes (checked as they are now).
      const status = statusArea();
      const select = field(`New role for ${user.name}`, roleSelect(user.role));
      const current = Array.isArray(user.scopes) ? user.scopes.map(String) : [];
      const scopes = scopesFieldset(`Scopes of ${user.name}`, current);
      scopesFollow(select.control, scopes);
      content = h('form', {novalidate: true}, select.row, scopes.el,
        h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'},
          kind === 'scopes' ? 'Save scopes' : 'Save role'),
        h('button', {type: 'button', on: {click: close}}, 'Cancel')), status.el);
      content.addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = {role: select.control.value};
        if (body.role === 'sync-manager') {
          body.scopes = scopes.values();
          if (body.scopes.length === 0) {
            status.show('error', NEEDS_SCOPE);
            return;
          }
        } else if (current.length) {
          body.scopes = []; // scopes mean nothing for the other roles
        }
        try {
          const updated = await api.patch(userPath, body);
          const names = (updated && Array.isArray(updated.scopes) ? updated.scopes : body.scopes || [])
            .map((id) => (tree.byId.has(id) ? categoryPath(tree, id) : String(id)));
          notice.show('ok', `${user.name} is now ${body.role}` +
            (body.role === 'sync-manager' ? ` with the scopes ${names.join(', ')}.` : '.'));
          await load();
        } catch (e) {
          status.show('error', e.description || e.message);
        }
      });
      focus = kind === 'scopes' ? scopes.first() : select.control;
    } else if (kind === 'password') {
      const pw = passwordForm({
        label: `New password for ${user.name}`,
        cancel: close,
        save: async (secret) => {
          await api.patch(userPath, {password: secret});
          close();
          notice.show('ok', `The password of ${user.name} was reset.`);
        },
      });
      content = pw.form;
      focus = pw.control;
    } else {
      const status = statusArea();
      const yes = h('button', {type: 'button', class: 'danger', on: {click: async () => {
        try {
          await api.del(userPath);
          notice.show('ok', `User ${user.name} deleted.`);
          await load();
        } catch (e) {
          status.show('error', e.description || e.message);
        }
      }}}, `Delete ${user.name}`);
      content = h('div', {role: 'group', 'aria-label': `Confirm deleting ${user.name}`},
        h('p', null, `Delete the user ${user.name}? Their sessions end at once.`),
        h('div', {class: 'actions'}, yes, h('button', {type: 'button', on: {click: close}}, 'Cancel')),
        status.el);
      focus = yes;
    }
    const editTr = h('tr', {class: 'edit-row', dataset: {editOf: user.name}}, h('td', {colspan: '5'}, content));
    tr.after(editTr);
    if (focus) focus.focus();
  };

  async function load() {
    const list = await api.get('/api/v1/users');
    if (!ctx.alive()) return;
    const me = api.currentSession()?.user;
    const trs = list.map((user) => {
      const tr = h('tr', {dataset: {user: user.name}});
      const scopeIds = Array.isArray(user.scopes) ? user.scopes : [];
      tr.append(
        td('Name', user.name, user.name === me ? h('span', {class: 'small muted'}, ' (you)') : null),
        td('Role', user.role),
        td('Scopes', scopeIds.length ? scopeIds.map(scopeView).flatMap((x, i) => (i ? [', ', x] : [x])) : '—'),
        td('Created', formatTime(user.created)),
        td('Actions', h('div', {class: 'actions compact'},
          h('button', {type: 'button', on: {click: () => editRow(user, tr, 'role')}}, 'Change role'),
          user.role === 'sync-manager'
            ? h('button', {type: 'button', on: {click: () => editRow(user, tr, 'scopes')}}, 'Edit scopes') : null,
          h('button', {type: 'button', on: {click: () => editRow(user, tr, 'password')}}, 'Reset password'),
          h('button', {type: 'button', class: 'danger', on: {click: () => editRow(user, tr, 'delete')}}, 'Delete'))));
      return tr;
    });
    fill(listHolder, table('Users', ['Name', 'Role', 'Scopes', 'Created', 'Actions'], trs, {class: 'data users'}).table);
  }
  await load();
}
