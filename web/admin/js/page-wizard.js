// The wizard that creates a remote configuration in four steps: the source
// and its account (checked at once by this server, which logs in to the
// source: the browser never talks to the source), the source's resources and
// categories, the target category here, and the trigger with a name.

import * as api from './api.js';
import {h, fill, field, choice, message, badge, statusArea} from './dom.js';
import {categoryTree, flatten, resourcesByCategory} from './tree.js';

const STEPS = ['Source server', 'Resources and categories', 'Target category', 'Trigger and name'];

/** The URL the server connects to: a full URL as typed, or a scheme from the TLS box plus host:port. */
export function sourceUrl(address, secure) {
  const typed = address.trim().replace(/\/+$/, '');
  if (/^https?:\/\//i.test(typed)) return typed;
  return `${secure ? 'https' : 'http'}://${typed}`;
}

export async function render(ctx) {
  const {section} = ctx;
  ctx.heading('New configuration');
  const state = {
    step: 0,
    address: '', username: '', secure: false, url: '', password: '',
    browse: null, // the browse answer
    categories: new Set(), resources: new Set(),
    localCategories: null, targetCategoryId: null,
    trigger: 'commit', tag: '', once: false, name: '',
  };
  // The source password leaves memory when the page is left.
  ctx.onLeave(() => { state.password = ''; });

  const indicator = h('ol', {class: 'steps', 'aria-label': 'Steps'});
  const body = h('div', {class: 'wizard-body'});
  section.append(h('p', null, 'A remote configuration copies resources with their history from a source server ' +
    'to this one and keeps them up to date.'), indicator, body);

  const show = (step, focus = true) => {
    state.step = step;
    fill(indicator, STEPS.map((name, i) => h('li', {
      class: i < step ? 'done' : i === step ? 'current' : 'todo',
      'aria-current': i === step ? 'step' : null,
    }, h('span', {class: 'step-number'}, String(i + 1)), ' ', name)));
    const title = h('h2', {tabindex: '-1'}, `Step ${step + 1} of ${STEPS.length}: ${STEPS[step]}`);
    fill(body, title);
    [stepSource, stepSelection, stepTarget, stepTrigger][step](body);
    if (focus) title.focus();
  };

  const buttons = (back, nextLabel) => {
    const next = h('button', {type: 'submit', class: 'primary'}, nextLabel);
    const row = h('div', {class: 'actions'},
      back === null ? null : h('button', {type: 'button', on: {click: () => show(back)}}, 'Back'),
      next,
      h('button', {type: 'button', class: 'link-button', on: {click: () => ctx.navigate('#/configs')}}, 'Cancel'));
    return {row, next};
  };

  function stepSource(parent) {
    const address = field('Source server address', h('input', {type: 'text', name: 'address', required: true,
      value: state.address, placeholder: 'host:port', autocapitalize: 'none', spellcheck: 'false'}),
    'The source’s host and port, e.g. source.example.com:8111 (or a full URL).');
    const user = field('User name', h('input', {type: 'text', name: 'username', required: true,
      value: state.username, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false'}),
    'An account on the source; the role reader is enough.');
    const password = field('Password', h('input', {type: 'password', name: 'source-password', required: true,
      autocomplete: 'new-password'}));
    const tls = choice('checkbox', 'Use secure connection (TLS)', {name: 'tls', checked: state.secure});
    const status = statusArea();
    const {row, next} = buttons(null, 'Next');
    const form = h('form', {novalidate: true}, address.row, user.row, password.row, tls.row,
      h('p', {class: 'hint'}, 'This server logs in to the source now and lists what it holds; the password is ' +
        'stored sealed with the configuration and never shown again.'),
      row, status.el);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      state.address = address.control.value.trim();
      state.username = user.control.value.trim();
      state.secure = tls.input.checked;
      const secret = password.control.value;
      if (!state.address || !state.username || !secret) {
        status.show('error', 'Enter the source server address, the user name and the password.');
        return;
      }
      state.url = sourceUrl(state.address, state.secure);
      next.disabled = true;
      status.show('info', `Connecting to ${state.url}…`);
      try {
        const answer = await api.post('/api/v1/remote-sources/browse',
          {url: state.url, username: state.username, password: secret});
        if (!ctx.alive()) return;
        password.control.value = '';
        state.password = secret;
        state.browse = {
          source: answer && answer.source ? answer.source : {},
          categories: Array.isArray(answer && answer.categories) ? answer.categories : [],
          resources: Array.isArray(answer && answer.resources) ? answer.resources : [],
        };
        state.categories.clear();
        state.resources.clear();
        show(1);
      } catch (e) {
        if (!ctx.alive()) return;
        password.control.value = '';
        status.show('error', e.description || e.message);
        next.disabled = false;
        password.control.focus();
      }
    });
    parent.append(form);
    if (state.address) password.control.focus();
  }

  function stepSelection(parent) {
    const {categories, resources, source} = state.browse;
    const tree = categoryTree(categories);
    const byCategory = resourcesByCategory(resources);
    const categoryBoxes = new Map(); // id -> {input, note}
    const resourceBoxes = new Map(); // id -> {input, note, categoryId}

    // The selected category that covers `categoryId` (itself or an ancestor), or null.
    const coveringCategory = (categoryId, includeSelf) => {
      const seen = new Set();
      let c = tree.byId.get(categoryId);
      if (c && !includeSelf) c = c.parentId ? tree.byId.get(c.parentId) : null;
      while (c && !seen.has(c.id)) {
        seen.add(c.id);
        if (state.categories.has(c.id)) return c;
        c = c.parentId ? tree.byId.get(c.parentId) : null;
      }
      return null;
    };

    // A box is checked and disabled while a selected category covers it.
    const refresh = () => {
      const mark = (boxes, selected, cover) => {
        for (const [id, box] of boxes) {
          const by = cover(id, box);
          box.input.disabled = by !== null;
          box.input.checked = by !== null || selected.has(id);
          box.note.textContent = by ? ` (included with ${by.name})` : '';
        }
      };
      mark(categoryBoxes, state.categories, (id) => coveringCategory(id, false));
      mark(resourceBoxes, state.resources, (id, box) => coveringCategory(box.categoryId, true));
    };

    // A checkbox that adds its id to state[key] (or takes it out) and refreshes the tree.
    const selectBox = (label, attrs, key) => {
      const note = h('span', {class: 'included'});
      const {row, input} = choice('checkbox', label, attrs);
      row.append(note);
      input.addEventListener('change', () => {
        if (input.checked) state[key].add(attrs.value);
        else state[key].delete(attrs.value);
        refresh();
      });
      return {row, input, note};
    };

    const resourceItem = (r) => {
      const {row, input, note} = selectBox([r.name, r.readOnly ? [' ', badge('read-only')] : null],
        {name: 'resource', value: r.id, dataset: {resourceId: r.id}}, 'resources');
      resourceBoxes.set(r.id, {input, note, categoryId: r.categoryId});
      return h('li', {class: 'resource'}, row);
    };

    const categoryItem = (c, seen) => {
      if (seen.has(c.id)) return null;
      seen.add(c.id);
      const {row, input, note} = selectBox([h('strong', null, c.name), ' ', badge('category', 'kind')],
        {name: 'category', value: c.id, dataset: {categoryId: c.id}}, 'categories');
      categoryBoxes.set(c.id, {input, note});
      const own = (byCategory.get(c.id) || []).map(resourceItem);
      const sub = (tree.children.get(c.id) || []).map((child) => categoryItem(child, seen));
      return h('li', {class: 'category'}, row,
        c.description ? h('p', {class: 'hint'}, c.description) : null,
        own.length || sub.length ? h('ul', null, own, sub) : null);
    };
    const seen = new Set();
    const items = tree.roots.map((c) => categoryItem(c, seen));
    // Resources whose category the source did not list still get a place.
    const orphans = resources.filter((r) => !tree.byId.has(r.categoryId)).map(resourceItem);

    const status = statusArea();
    const {row} = buttons(0, 'Next');
    const form = h('form', {novalidate: true},
      h('p', null, `Source ${state.url}`, source.version ? ` (Tandem ${source.version})` : '',
        source.serverId ? `, server id ${source.serverId}` : '', '.'),
      h('p', {class: 'hint'}, 'Checking a category selects its resources now and those added to it later. ' +
        'Checking a resource selects it by its id, wherever it moves at the source.'),
      h('fieldset', {class: 'tree'}, h('legend', null, 'Categories and resources at the source'),
        items.length || orphans.length ? h('ul', {class: 'tree-root'}, items, orphans)
          : h('p', null, 'The source holds no category or resource this account can read.')),
      row, status.el);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosenCategories = [...state.categories].filter((id) => coveringCategory(id, false) === null);
      const chosenResources = [...state.resources].filter((id) => {
        const box = resourceBoxes.get(id);
        return !box || coveringCategory(box.categoryId, true) === null;
      });
      if (chosenCategories.length + chosenResources.length === 0) {
        status.show('error', 'Select at least one category or resource.');
        return;
      }
      state.categories = new Set(chosenCategories);
      state.resources = new Set(chosenResources);
      show(2);
    });
    parent.append(form);
    refresh();
  }

  async function stepTarget(parent) {
    const status = statusArea();
    parent.append(status.el);
    if (state.localCategories === null) {
      status.show('info', 'Loading this server’s categories…');
      try {
        state.localCategories = await api.get('/api/v1/categories');
      } catch (e) {
        status.show('error', `Cannot list this server’s categories: ${e.description || e.message}`);
        return;
      }
      if (!ctx.alive() || state.step !== 2) return;
      status.clear();
    }
    const tree = categoryTree(state.localCategories);
    const ordered = flatten(tree);
    if (state.targetCategoryId === null && ordered.length) state.targetCategoryId = ordered[0].category.id;
    const radios = ordered.map(({category, depth}) => {
      const {row, input} = choice('radio', [category.name, category.readOnly ? [' ', badge('read-only')] : null], {
        name: 'target-category', value: category.id, checked: category.id === state.targetCategoryId,
      });
      input.addEventListener('change', () => { if (input.checked) state.targetCategoryId = category.id; });
      row.classList.add(`depth-${Math.min(depth, 8)}`);
      return row;
    });
    const {row} = buttons(1, 'Next');
    const form = h('form', {novalidate: true},
      h('fieldset', null, h('legend', null, 'Target category'),
        h('p', {class: 'hint'}, 'The copies are placed in this category on this server, read-only.'),
        radios),
      row);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!state.targetCategoryId) {
        status.show('error', 'Choose the target category.');
        return;
      }
      show(3);
    });
    parent.insertBefore(form, status.el);
  }

  function stepTrigger(parent) {
    const triggers = [
      ['commit', 'On every commit', 'Within about a second of each commit, tag, rename or move at the source.'],
      ['tag', 'On commit with tag', 'When a commit at the source gets the tag; copies up to the newest tagged commit.'],
      ['manual', 'Manual', 'Only when you choose “Synchronize now”.'],
    ];
    const tagName = field('Tag name', h('input', {type: 'text', name: 'tag', value: state.tag,
      spellcheck: 'false'}), 'Needed for “On commit with tag”, e.g. release.');
    const radios = triggers.map(([value, label, hint]) => {
      const {row, input} = choice('radio', label, {name: 'trigger', value, checked: state.trigger === value});
      row.append(h('span', {class: 'hint inline'}, ` ${hint}`));
      input.addEventListener('change', () => {
        if (input.checked) state.trigger = value;
        tagName.control.disabled = state.trigger !== 'tag';
      });
      return row;
    });
    tagName.control.disabled = state.trigger !== 'tag';
    const once = choice('checkbox', 'Synchronize once', {name: 'once', checked: state.once});
    once.row.append(h('span', {class: 'hint inline'},
      ' One complete run, then the configuration stays completed (for offloading).'));
    const host = state.url.replace(/^https?:\/\//i, '');
    if (!state.name) state.name = `from ${host}`;
    const name = field('Name', h('input', {type: 'text', name: 'name', required: true, value: state.name}));
    const status = statusArea();
    const {row, next} = buttons(2, 'Create');
    const form = h('form', {novalidate: true},
      h('fieldset', null, h('legend', null, 'Trigger'), radios, tagName.row),
      once.row, name.row, summary(), row, status.el);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      state.tag = tagName.control.value.trim();
      state.once = once.input.checked;
      state.name = name.control.value.trim();
      if (state.trigger === 'tag' && !state.tag) {
        status.show('error', 'Enter the tag name.');
        tagName.control.focus();
        return;
      }
      if (!state.name) {
        status.show('error', 'Enter a name for the configuration.');
        name.control.focus();
        return;
      }
      if (!state.password) {
        status.show('error', 'The source password is no longer known; go back to step 1 and enter it again.');
        return;
      }
      const trigger = state.trigger === 'tag' ? {type: 'tag', tag: state.tag} : {type: state.trigger};
      const body = {
        name: state.name,
        source: {url: state.url, username: state.username, password: state.password},
        resources: [...state.resources], categories: [...state.categories],
        targetCategoryId: state.targetCategoryId, trigger, once: state.once, enabled: true,
      };
      next.disabled = true;
      status.show('info', 'Creating the configuration…');
      try {
        const created = await api.post('/api/v1/remote-configs', body);
        state.password = '';
        if (!ctx.alive()) return;
        ctx.setFlash('ok', `Configuration “${created && created.name ? created.name : state.name}” created.`);
        ctx.navigate('#/configs');
      } catch (e) {
        if (!ctx.alive()) return;
        status.show('error', `The configuration was not created: ${e.description || e.message}`);
        next.disabled = false;
      }
    });
    parent.append(form);
  }

  function summary() {
    const names = new Map();
    for (const c of state.browse.categories) names.set(c.id, c.name);
    for (const r of state.browse.resources) names.set(r.id, r.name);
    const target = (state.localCategories || []).find((c) => c.id === state.targetCategoryId);
    const list = (ids) => ids.length ? ids.map((id) => names.get(id) ?? id).join(', ') : 'none';
    return h('div', {class: 'summary'}, h('h3', null, 'Summary'), h('dl', {class: 'facts'},
      h('dt', null, 'Source'), h('dd', null, `${state.url} as ${state.username}`),
      h('dt', null, 'Categories'), h('dd', null, list([...state.categories])),
      h('dt', null, 'Resources'), h('dd', null, list([...state.resources])),
      h('dt', null, 'Target category'), h('dd', null, target ? target.name : String(state.targetCategoryId))));
  }

  show(0, false);
}
