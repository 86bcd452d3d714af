// Remote repository management: the list of remote configurations with their
// live state, polled every two seconds while the page is shown.

import * as api from './api.js';
import {h, fill, message, table, td, statusArea} from './dom.js';
import {poll, triggerText, sourceText, stateView, progressView, lastRunView, lastErrorView} from './sync-view.js';

export async function render(ctx) {
  const {section} = ctx;
  ctx.heading('Remote repository management');
  section.append(
    h('p', null, 'Configurations that copy resources with their history from another Tandem server ' +
      '(the source) to this one. States update every two seconds.'),
    h('div', {class: 'actions'},
      h('button', {type: 'button', class: 'primary', on: {click: () => ctx.navigate('#/wizard')}},
        'New configuration')));
  const status = statusArea();
  const holder = h('div', null, h('p', {class: 'muted'}, 'Loading configurations…'));
  section.append(status.el, holder);

  const rows = new Map(); // config id -> {tr, cells}
  const {table: tableEl, tbody} = table('Remote configurations',
    ['Name', 'Source', 'Trigger', 'Enabled', 'State', 'Last run', 'Progress', 'Last error'], [],
    {class: 'data configs'});

  const rowFor = (c) => {
    let row = rows.get(c.id);
    if (!row) {
      const cells = {
        name: td('Name'), source: td('Source'), trigger: td('Trigger'), enabled: td('Enabled'),
        state: td('State'), lastRun: td('Last run'), progress: td('Progress'), lastError: td('Last error'),
      };
      const tr = h('tr', {dataset: {configId: c.id}}, Object.values(cells));
      row = {tr, cells};
      rows.set(c.id, row);
    }
    return row;
  };

  const tick = async () => {
    let list;
    try {
      list = await api.get('/api/v1/remote-configs');
    } catch (e) {
      status.show('error', `Cannot list the configurations: ${e.description || e.message}`);
      throw e;
    }
    if (!ctx.alive()) return;
    const statuses = await Promise.all(list.map((c) =>
      api.get(`/api/v1/remote-configs/${api.enc(c.id)}/status`).catch((e) => ({failed: e}))));
    if (!ctx.alive()) return;
    status.clear();
    if (list.length === 0) {
      rows.clear();
      fill(holder, message('info', 'There is no configuration yet. Choose “New configuration” to create one.'));
      return;
    }
    const seen = new Set();
    list.forEach((c, i) => {
      const s = statuses[i];
      const row = rowFor(c);
      seen.add(c.id);
      const {cells} = row;
      const link = cells.name.firstChild;
      if (!link || link.textContent !== c.name) {
        fill(cells.name, h('a', {href: `#/configs/${encodeURIComponent(c.id)}`}, c.name));
      }
      fill(cells.source, sourceText(c));
      fill(cells.trigger, triggerText(c));
      fill(cells.enabled, c.enabled ? 'Yes' : 'No');
      if (s && s.failed) {
        fill(cells.state, h('span', {class: 'error-text'}, s.failed.description || s.failed.message));
        return;
      }
      fill(cells.state, stateView(s));
      fill(cells.lastRun, lastRunView(s));
      fill(cells.progress, progressView(s));
      fill(cells.lastError, lastErrorView(s));
    });
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    const ordered = list.map((c) => rows.get(c.id).tr);
    const same = ordered.length === tbody.children.length && ordered.every((tr, i) => tbody.children[i] === tr);
    if (!same) tbody.replaceChildren(...ordered);
    if (holder.firstChild !== tableEl) fill(holder, tableEl);
  };
  await poll(ctx, tick);
}
