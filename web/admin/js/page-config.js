// One remote configuration: its state (polled), the per-resource rows with
// the action that clears a conflict, the run history, and the actions
// Synchronize now, Enable/Disable, Change password and Delete.

import * as api from './api.js';
import {h, fill, field, message, table, td, statusArea, passwordForm, stateBadge, formatTime, formatBytes} from './dom.js';
import {poll, triggerText, sourceText, stateView, progressView, lastRunView, lastErrorView} from './sync-view.js';

// A source id is shown short, in full in its title, where no name is known
// (the configuration keeps the source's ids; only the status rows name resources).
function sourceId(id) {
  return h('code', {title: String(id)}, `${String(id).slice(0, 8)}…`);
}

export async function render(ctx, id) {
  const {section} = ctx;
  const base = `/api/v1/remote-configs/${api.enc(id)}`;
  let config = await api.get(base);
  if (!ctx.alive()) return;
  const heading = ctx.heading(config.name);
  let categories = [];
  try {
    categories = await api.get('/api/v1/categories');
  } catch {
    categories = []; // names are a convenience: ids are shown instead
  }
  const categoryName = (cid) => (categories.find((c) => c.id === cid) || {}).name ?? cid;

  const notice = statusArea();
  const facts = h('dl', {class: 'facts two-columns'});
  const conflictNote = h('div');
  const actions = h('div', {class: 'actions'});
  const panel = h('div', {class: 'panel-area'});
  const rowsHolder = h('div');
  const runsHolder = h('div');
  section.append(
    h('p', null, h('a', {href: '#/configs'}, '← All configurations')),
    notice.el, conflictNote, facts, actions, panel,
    h('h2', null, 'Resources'), rowsHolder,
    h('h2', null, 'Run history'), runsHolder);

  let lastStatus = null;
  let lastRunKey = null;
  let openRename = null; // the source id whose rename form is open: polling leaves that row alone
  const renameValues = new Map();

  const syncNow = async (done = 'Synchronization started.') => {
    await api.post(`${base}/sync`);
    notice.show('ok', done);
    await refresh();
  };

  const act = (label, fn, cls) => h('button', {type: 'button', class: cls, on: {click: async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await fn();
    } catch (e) {
      if (ctx.alive()) notice.show('error', e.description || e.message);
    } finally {
      button.disabled = false;
    }
  }}}, label);

  const renderFacts = () => {
    const s = lastStatus;
    // A selected resource by the name its status row gives, else by a short id.
    const rowNames = new Map((s && Array.isArray(s.resources) ? s.resources : [])
      .map((row) => [String(row.sourceId), row.name]));
    const resourceView = (rid) => {
      const known = rowNames.get(String(rid));
      return known ? h('span', {class: 'resource-name', title: String(rid)}, String(known)) : sourceId(rid);
    };
    const selection = [
      ...(config.categories || []).map((c) => h('li', null, 'category ', sourceId(c))),
      ...(config.resources || []).map((r) => h('li', null, 'resource ', resourceView(r)))];
    const conflicts = s && Array.isArray(s.resources) ? s.resources.filter((r) => r.state === 'conflict') : [];
    const conflictText = conflicts.length
      ? `${conflicts.length} resource${conflicts.length === 1 ? ' is' : 's are'} in conflict: ` +
        `${conflicts.map((r) => r.name).join(', ')}. Resolve ${conflicts.length === 1 ? 'it' : 'them'} under Resources below.`
      : '';
    if ((conflictNote.textContent || '') !== conflictText) {
      fill(conflictNote, conflictText ? h('div', {class: 'message warn', role: 'status'}, conflictText) : null);
    }
    fill(facts,
      h('dt', null, 'Source'), h('dd', null, sourceText(config)),
      h('dt', null, 'Trigger'), h('dd', null, triggerText(config)),
      h('dt', null, 'Selection'), h('dd', null, selection.length ? h('ul', {class: 'plain'}, selection) : 'none'),
      h('dt', null, 'Target category'), h('dd', null, categoryName(config.targetCategoryId)),
      h('dt', null, 'Enabled'), h('dd', null, config.enabled ? 'Yes' : 'No'),
      h('dt', null, 'State'), h('dd', {class: 'config-state'}, stateView(s)),
      h('dt', null, 'Progress'), h('dd', null, progressView(s)),
      h('dt', null, 'Last run'), h('dd', null, lastRunView(s)),
      h('dt', null, 'Last success'), h('dd', null, s && s.lastSuccess ? formatTime(s.lastSuccess) : 'never'),
      h('dt', null, 'Last error'), h('dd', null, lastErrorView(s)),
      h('dt', null, 'Consecutive failures'), h('dd', null, String(s && s.consecutiveFailures ? s.consecutiveFailures : 0)),
      h('dt', null, 'Feed watcher'), h('dd', null, s ? stateBadge(s.feedWatcher ?? 'none') : '—'));
  };

  const renderActions = () => {
    fill(actions,
      act('Synchronize now', () => syncNow(), 'primary'),
      act(config.enabled ? 'Disable' : 'Enable', async () => {
        config = await api.patch(base, {enabled: !config.enabled});
        notice.show('ok', config.enabled ? 'Configuration enabled.' : 'Configuration disabled.');
        renderActions();
        await refresh();
      }),
      h('button', {type: 'button', on: {click: openPassword}}, 'Change password'),
      h('button', {type: 'button', class: 'danger', on: {click: openDelete}}, 'Delete'));
  };

  function closePanel() {
    panel.replaceChildren();
  }

  function openPassword() {
    const {form, control} = passwordForm({
      label: 'New source password',
      hint: `The password of ${config.source?.username ?? 'the account'} at ${config.source?.url ?? 'the source'}.`,
      heading: 'Change password',
      attrs: {class: 'panel'},
      cancel: closePanel,
      save: async (secret) => {
        config = await api.patch(base, {source: {password: secret}});
        closePanel();
        notice.show('ok', 'The source password was changed.');
      },
    });
    fill(panel, form);
    control.focus();
  }

  function openDelete() {
    const status = statusArea();
    const confirm = h('button', {type: 'button', class: 'danger', on: {click: async () => {
      try {
        await api.del(base);
        ctx.setFlash('ok', `Configuration “${config.name}” deleted; its copies stay on this server.`);
        ctx.navigate('#/configs');
      } catch (e) {
        status.show('error', e.description || e.message);
      }
    }}}, 'Delete configuration');
    fill(panel, h('div', {class: 'panel', role: 'group', 'aria-label': 'Confirm deletion'},
      h('p', null, `Delete the configuration “${config.name}”? Synchronization stops; the copies made so far stay, read-only.`),
      h('div', {class: 'actions'}, confirm, h('button', {type: 'button', on: {click: closePanel}}, 'Cancel')),
      status.el));
    confirm.focus();
  }

  // The local resource that keeps a conflicting row from being copied: the
  // server names it (conflictWith), or it is the resource of the same name in
  // the target category that is not this row's copy.
  async function clashingResource(row) {
    if (row.conflictWith && row.conflictWith.resourceId) {
      return {id: row.conflictWith.resourceId, name: row.conflictWith.name ?? row.name};
    }
    const list = await api.getAll(api.withQuery('/api/v1/resources', {categoryId: config.targetCategoryId}), 5000);
    const other = list.find((r) => r.name === row.name && r.id !== row.targetId && r.id !== row.sourceId);
    return other ? {id: other.id, name: other.name} : null;
  }

  function conflictActions(row, cell) {
    const container = h('div', {class: 'conflict-actions'});
    const start = h('button', {type: 'button', on: {click: async () => {
      start.disabled = true;
      let clash;
      try {
        clash = await clashingResource(row);
      } catch (e) {
        fill(container, message('error', e.description || e.message));
        return;
      }
      if (!clash) {
        fill(container, message('info', 'No resource of this name in the target category: the clash is elsewhere ' +
          '(read the message), or already gone — choose Synchronize now.'));
        return;
      }
      openRename = row.sourceId;
      const suggested = renameValues.get(row.sourceId) ?? `${clash.name} (local)`;
      const input = field(`New name for the local resource “${clash.name}”`,
        h('input', {type: 'text', required: true, value: suggested}));
      input.control.addEventListener('input', () => renameValues.set(row.sourceId, input.control.value));
      const status = statusArea();
      const cancel = () => {
        openRename = null;
        renameValues.delete(row.sourceId);
        fill(cell, conflictActions(row, cell));
      };
      const form = h('form', {class: 'rename', novalidate: true}, input.row,
        h('div', {class: 'actions'},
          h('button', {type: 'submit', class: 'primary'}, 'Rename and synchronize'),
          api.isAdmin() ? h('button', {type: 'button', class: 'danger', on: {click: () => confirmDelete(clash, status)}},
            'Delete local resource') : null,
          h('button', {type: 'button', on: {click: cancel}}, 'Cancel')),
        status.el);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const newName = input.control.value.trim();
        if (!newName || newName === clash.name) {
          status.show('error', 'Enter a different name.');
          return;
        }
        try {
          await api.patch(`/api/v1/resources/${api.enc(clash.id)}`, {name: newName});
          openRename = null;
          renameValues.delete(row.sourceId);
          await syncNow(`Renamed the local resource to “${newName}”; synchronization started.`);
        } catch (e) {
          status.show('error', e.description || e.message);
        }
      });
      fill(container, form);
      input.control.focus();
    }}}, 'Resolve conflict');
    fill(container, start);
    return container;
  }

  function confirmDelete(clash, status) {
    const yes = h('button', {type: 'button', class: 'danger', on: {click: async () => {
      try {
        await api.del(`/api/v1/resources/${api.enc(clash.id)}`);
        openRename = null;
        await syncNow(`Deleted the local resource “${clash.name}”; synchronization started.`);
      } catch (e) {
        status.show('error', e.description || e.message);
      }
    }}}, `Delete “${clash.name}” and its history`);
    status.show('info', `The local resource “${clash.name}” and all its history will be deleted. `, yes);
    yes.focus();
  }

  const rowsTable = table('Resources of this configuration',
    ['Name', 'State', 'Selected by', 'Message', 'Action'], [], {class: 'data resources-rows'});
  const rowEls = new Map();

  const renderRows = () => {
    const rows = lastStatus && Array.isArray(lastStatus.resources) ? lastStatus.resources : [];
    if (rows.length === 0) {
      rowEls.clear();
      fill(rowsHolder, h('p', {class: 'muted'}, 'No resource has been looked at yet.'));
      return;
    }
    const sorted = [...rows].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const trs = sorted.map((row) => {
      const key = row.sourceId;
      const sig = JSON.stringify([row.name, row.state, row.message, row.selectedBy, row.conflictWith, row.targetId]);
      const existing = rowEls.get(key);
      if (existing && (existing.sig === sig || openRename === key)) return existing.tr;
      const action = td('Action');
      if (row.state === 'conflict') action.append(conflictActions(row, action));
      const selectedBy = (row.selectedBy || []).map((s) => (s === 'resource' || s === 'dependency'
        ? h('span', null, s) : h('span', null, 'category ', sourceId(s))));
      const nameCell = td('Name', row.targetId && row.state !== 'conflict'
        ? h('a', {href: `#/resources/${encodeURIComponent(row.targetId)}`}, row.name) : row.name);
      const tr = h('tr', {dataset: {sourceId: key, state: row.state}}, nameCell,
        td('State', stateBadge(row.state)), td('Selected by', selectedBy.flatMap((x, i) => (i ? [', ', x] : [x]))),
        td('Message', row.message ?? ''), action);
      rowEls.set(key, {tr, sig});
      return tr;
    });
    rowsTable.tbody.replaceChildren(...trs);
    if (rowsHolder.firstChild !== rowsTable.table) fill(rowsHolder, rowsTable.table);
  };

  const renderRuns = async () => {
    const runs = await api.get(`${base}/runs`);
    if (!ctx.alive()) return;
    if (!Array.isArray(runs) || runs.length === 0) {
      fill(runsHolder, h('p', {class: 'muted'}, 'No run yet.'));
      return;
    }
    const trs = runs.map((run) => {
      const report = run.report || {};
      const rows = Array.isArray(report.resources) ? report.resources : [];
      const counts = {};
      for (const r of rows) counts[r.state] = (counts[r.state] || 0) + 1;
      const summaryText = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
      return h('tr', null,
        td('Started', formatTime(run.started)), td('Finished', formatTime(run.finished)),
        td('Outcome', stateBadge(run.outcome)),
        td('Commits', String(report.commits ?? 0)), td('Bytes', formatBytes(report.bytes)),
        td('Resources', summaryText || '—',
          report.focusedOn ? h('span', {class: 'small muted'}, ' (focused run)') : null),
        td('Error', report.error ? h('span', {class: 'error-text'}, String(report.error)) : ''));
    });
    fill(runsHolder, table('Runs, newest first',
      ['Started', 'Finished', 'Outcome', 'Commits', 'Bytes', 'Resources', 'Error'], trs).table);
  };

  const refresh = async () => {
    let s;
    try {
      s = await api.get(`${base}/status`);
    } catch (e) {
      if (ctx.alive()) notice.show('error', `Cannot read the status: ${e.description || e.message}`);
      throw e;
    }
    if (!ctx.alive()) return;
    lastStatus = s;
    if (s.name && s.name !== heading.textContent) heading.textContent = s.name;
    renderFacts();
    renderRows();
    const runKey = JSON.stringify(s.lastRun);
    if (runKey !== lastRunKey) {
      lastRunKey = runKey;
      await renderRuns();
    }
  };

  renderFacts();
  renderActions();
  await poll(ctx, refresh);
}
