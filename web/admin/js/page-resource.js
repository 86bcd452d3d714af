// A resource: its facts, its history (commits with author, time, hash, tags
// and branches), the difference between two chosen commits and the elements
// at a commit, each list paged with a "more" button.

import * as api from './api.js';
import {h, fill, table, td, statusArea, badge, formatTime, uid} from './dom.js';
import {originBadge} from './page-resources.js';

const PAGE = 50;

export async function render(ctx, id) {
  const {section} = ctx;
  const resource = await api.get(`/api/v1/resources/${api.enc(id)}`);
  if (!ctx.alive()) return;
  ctx.heading(resource.name);
  const project = `/sysml/v2/projects/${api.enc(resource.id)}`;
  const [categories, branches] = await Promise.all([
    api.get('/api/v1/categories').catch(() => []),
    api.getAll(project + '/branches', 10000).catch(() => []),
  ]);
  if (!ctx.alive()) return;
  const branchName = new Map(branches.map((b) => [b['@id'], b.name]));
  const category = categories.find((c) => c.id === resource.categoryId);
  const origin = resource.origin;

  section.append(
    h('p', null, h('a', {href: '#/resources'}, '← All resources')),
    h('p', {class: 'badges'}, resource.readOnly ? badge('read-only') : null, ' ', originBadge(origin)),
    h('dl', {class: 'facts two-columns'},
      h('dt', null, 'Resource ID'), h('dd', null, h('code', null, resource.id)),
      h('dt', null, 'Project ID'), h('dd', null, h('code', null, String(resource.projectId ?? ''))),
      h('dt', null, 'Category'), h('dd', null, category ? category.name : String(resource.categoryId ?? '')),
      h('dt', null, 'Description'), h('dd', null, resource.description || '—'),
      h('dt', null, 'Branches'), h('dd', null, branches.length ? branches.map((b) => b.name).join(', ') : '—'),
      h('dt', null, 'Created'), h('dd', null, formatTime(resource.created)),
      origin && !origin.import ? [
        h('dt', null, 'Synchronized from'), h('dd', null, String(origin.server ?? origin.serverId ?? '')),
        h('dt', null, 'By configuration'), h('dd', null, origin.configuration
          ? h('a', {href: `#/configs/${encodeURIComponent(origin.configuration)}`}, String(origin.configurationName ?? origin.configuration))
          : String(origin.configurationName ?? '—')),
        Array.isArray(origin.chain) && origin.chain.length
          ? [h('dt', null, 'Server chain'), h('dd', null, origin.chain.join(' → '))] : null,
      ] : null,
      origin && origin.import ? [
        h('dt', null, 'Imported from'), h('dd', null, `${origin.import.from ?? ''} (${origin.import.projectId ?? ''})`),
      ] : null));

  // History.
  const historyStatus = statusArea();
  const compareButton = h('button', {type: 'submit', class: 'primary', disabled: true}, 'Show difference');
  const selectedHint = h('p', {class: 'hint', id: uid('hint')}, 'Select two commits to see their difference.');
  const {table: historyTable, tbody: historyBody} = table('Commits, newest first',
    ['Select', 'Hash', 'Author', 'Time', 'Description', 'Tags', 'Branches', 'Elements'], [],
    {class: 'data history'});
  const moreCommits = h('button', {type: 'button', hidden: true}, 'More commits');
  const selected = []; // commit ids in the order of the list (newest first)
  const order = []; // every listed commit id, newest first
  const boxes = new Map();
  const diffArea = h('div');
  const elementsArea = h('div');

  const updateSelection = () => {
    compareButton.disabled = selected.length !== 2;
    selectedHint.textContent = selected.length === 2
      ? 'Two commits selected: choose “Show difference”.'
      : `Select two commits to see their difference (${selected.length} selected).`;
  };

  const commitRow = (c) => {
    order.push(c.id);
    const box = h('input', {type: 'checkbox', id: uid('commit'), value: c.id, 'aria-describedby': selectedHint.id});
    boxes.set(c.id, box);
    box.addEventListener('change', () => {
      const at = selected.indexOf(c.id);
      if (box.checked && at < 0) selected.push(c.id);
      if (!box.checked && at >= 0) selected.splice(at, 1);
      while (selected.length > 2) {
        const dropped = selected.shift();
        boxes.get(dropped).checked = false;
      }
      updateSelection();
    });
    const shortHash = String(c.hash ?? '').slice(0, 12);
    const tags = (c.tags || []).map((t) => badge(typeof t === 'string' ? t : String(t.name ?? t.id), 'tag'));
    const branchBadges = (c.branchIds || []).map((b) => badge(branchName.get(b) ?? String(b).slice(0, 8), 'branch'));
    return h('tr', {dataset: {commitId: c.id}},
      td('Select', h('span', {class: 'choice'}, box, h('label', {for: box.id}, 'Select'))),
      td('Hash', h('code', {title: String(c.hash ?? '')}, shortHash)),
      td('Author', String(c.author ?? '')),
      td('Time', formatTime(c.created)),
      td('Description', c.description || c.name || ''),
      td('Tags', tags.length ? tags : '—'),
      td('Branches', branchBadges.length ? branchBadges : '—'),
      td('Elements', h('button', {type: 'button', class: 'small-button',
        on: {click: () => showElements(c, shortHash)}}, `Elements (${c.elementCount ?? '?'})`)));
  };

  let nextCommits = api.withQuery(`/api/v1/resources/${api.enc(resource.id)}/commits`, {'page[size]': PAGE});
  const loadCommits = async () => {
    moreCommits.disabled = true;
    try {
      const page = await api.request('GET', nextCommits);
      if (!ctx.alive()) return;
      historyBody.append(...(page.data || []).map(commitRow));
      nextCommits = page.next;
      moreCommits.hidden = nextCommits === null;
      if (order.length === 0) historyStatus.show('info', 'This resource has no commit yet.');
    } catch (e) {
      historyStatus.show('error', e.description || e.message);
    } finally {
      moreCommits.disabled = false;
    }
  };
  moreCommits.addEventListener('click', loadCommits);

  const compareForm = h('form', {novalidate: true}, historyTable, moreCommits, selectedHint,
    h('div', {class: 'actions'}, compareButton));
  compareForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (selected.length !== 2) return;
    // The older of the two (further down the list) is the base.
    const [a, b] = [...selected].sort((x, y) => order.indexOf(x) - order.indexOf(y));
    showDiff(b, a);
  });

  section.append(h('h2', null, 'History'), historyStatus.el, compareForm, diffArea, elementsArea);

  const shortOf = (commitId) => {
    const row = historyBody.querySelector(`tr[data-commit-id="${CSS.escape(commitId)}"] code`);
    return row ? row.textContent : commitId.slice(0, 8);
  };

  // A table of `headers` under a focused `title` in `area`, filled a page at a
  // time from `path` (one row(item) per item) with a `moreLabel` button for
  // the next page; summary(count, more) words what is shown.
  async function pagedTable(area, {title, headers, tableClass, moreLabel, path, row, summary}) {
    const heading = h('h2', {tabindex: '-1'}, title);
    const {table: tableEl, tbody} = table(null, headers, [], {class: `data ${tableClass}`});
    const status = statusArea();
    const more = h('button', {type: 'button', hidden: true}, moreLabel);
    fill(area, heading, status.el, tableEl, more);
    heading.focus();
    let next = path;
    let count = 0;
    const load = async () => {
      more.disabled = true;
      try {
        const page = await api.request('GET', next);
        const items = Array.isArray(page.data) ? page.data : [];
        tbody.append(...items.map(row));
        count += items.length;
        next = page.next;
        more.hidden = next === null;
        status.show('info', summary(count, next !== null));
      } catch (e) {
        status.show('error', e.description || e.message);
      } finally {
        more.disabled = false;
      }
    };
    more.addEventListener('click', load);
    await load();
  }

  const diffRow = (d) => {
    const before = d.baseData && d.baseData.payload ? d.baseData.payload : null;
    const after = d.compareData && d.compareData.payload ? d.compareData.payload : null;
    const kind = before && after ? 'changed' : after ? 'added' : 'removed';
    const identity = (d.compareData && d.compareData.identity) || (d.baseData && d.baseData.identity) || {};
    const element = after || before || {};
    return h('tr', {dataset: {change: kind}},
      td('Change', badge(kind, `change-${kind}`)),
      td('Element', h('code', null, String(identity['@id'] ?? element['@id'] ?? ''))),
      td('Type', String(element['@type'] ?? '')),
      td('Name before', before ? String(before.name ?? before.declaredName ?? '') : '—'),
      td('Name after', after ? String(after.name ?? after.declaredName ?? '') : '—'),
      td('Versions', h('details', null, h('summary', null, 'Show both versions'),
        h('div', {class: 'versions'},
          h('div', null, h('h3', null, 'Before'), h('pre', null, before ? JSON.stringify(before, null, 2) : '(none)')),
          h('div', null, h('h3', null, 'After'), h('pre', null, after ? JSON.stringify(after, null, 2) : '(none)'))))));
  };

  function showDiff(baseId, compareId) {
    return pagedTable(diffArea, {
      title: `Difference from ${shortOf(baseId)} to ${shortOf(compareId)}`,
      headers: ['Change', 'Element', 'Type', 'Name before', 'Name after', 'Versions'],
      tableClass: 'diff',
      moreLabel: 'More differences',
      path: api.withQuery(`${project}/commits/${api.enc(compareId)}/diff`, {baseCommitId: baseId}),
      row: diffRow,
      summary: (count, more) => (count === 0 ? 'The two commits hold the same elements.'
        : `${count} element${count === 1 ? '' : 's'} differ${count === 1 ? 's' : ''}${more ? ' (more to load)' : ''}.`),
    });
  }

  function showElements(commit, shortHash) {
    return pagedTable(elementsArea, {
      title: `Elements at ${shortHash}`,
      headers: ['Name', 'Type', 'ID'],
      tableClass: 'elements',
      moreLabel: 'More elements',
      path: api.withQuery(`${project}/commits/${api.enc(commit.id)}/elements`, {'page[size]': PAGE}),
      row: (e) => h('tr', null,
        td('Name', String(e.name ?? e.declaredName ?? e.memberName ?? '') || h('span', {class: 'muted'}, '(no name)')),
        td('Type', String(e['@type'] ?? '')),
        td('ID', h('code', null, String(e['@id'] ?? '')))),
      summary: (count, more) => `${count} element${count === 1 ? '' : 's'} shown${more ? '; more to load' : ''}.`,
    });
  }

  updateSelection();
  await loadCommits();
}
