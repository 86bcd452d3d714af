// DOM building without HTML parsing: every string ends up as a text node or
// an attribute value, never as markup, so data from the API (names coming
// from a remote source server included) cannot inject elements or scripts.

const PROPERTIES = new Set(['checked', 'disabled', 'value', 'selected', 'indeterminate', 'required']);

/**
 * h('button', {type: 'button', class: 'primary', on: {click: f}}, 'Save')
 * Attributes: `class`, `for` and any other name go through setAttribute;
 * the names in PROPERTIES are set as properties; `on` adds event listeners;
 * `dataset` fills data-* attributes. Children: strings, numbers, nodes,
 * arrays of those; null, undefined and false are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'on') {
        for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
      } else if (name === 'dataset') {
        for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
      } else if (PROPERTIES.has(name)) {
        el[name] = value;
      } else {
        el.setAttribute(name, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces every child of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uniqueCounter = 0;
/** A fresh id for label/for and aria-describedby pairs. */
export function uid(prefix = 'f') {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** A label and its control, stacked; returns {row, control}. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid();
  const parts = [h('label', {for: control.id}, labelText), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', {class: 'hint', id: hintId}, hint));
  }
  return {row: h('div', {class: 'field'}, parts), control};
}

/** A checkbox or radio followed by its label, on one line. */
export function choice(type, labelText, attrs = {}) {
  const input = h('input', {type, id: uid(), ...attrs});
  const row = h('div', {class: 'choice'}, input, h('label', {for: input.id}, labelText));
  return {row, input};
}

/** A message box; kind is 'error', 'info' or 'ok'. Errors are announced at once. */
export function message(kind, ...text) {
  return h('div', {class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
}

/** A status region kept in the page; show(kind, text) or clear(). */
export function statusArea() {
  const el = h('div', {class: 'status-area', 'aria-live': 'polite'});
  return {
    el,
    show(kind, ...text) { fill(el, message(kind, ...text)); },
    clear() { el.replaceChildren(); },
  };
}

/**
 * A form with one new-password field, *Save password* and *Cancel*:
 * save(secret) stores it (an error it throws is shown in the form), and the
 * field is emptied after every try. Answers {form, control}.
 */
export function passwordForm({label, hint, heading, save, cancel, attrs = {}}) {
  const pw = field(label, h('input', {type: 'password', autocomplete: 'new-password', required: true}), hint);
  const status = statusArea();
  const form = h('form', {novalidate: true, ...attrs}, heading ? h('h2', {tabindex: '-1'}, heading) : null, pw.row,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save password'),
      h('button', {type: 'button', on: {click: cancel}}, 'Cancel')), status.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const secret = pw.control.value;
    if (!secret) {
      status.show('error', 'Enter the new password.');
      return;
    }
    try {
      await save(secret);
    } catch (e) {
      status.show('error', e.description || e.message);
    } finally {
      pw.control.value = '';
    }
  });
  return {form, control: pw.control};
}

export function badge(text, kind = '') {
  return h('span', {class: `badge ${kind}`.trim()}, text);
}

const STATE_KIND = {
  synced: 'ok', idle: 'ok', completed: 'ok', connected: 'ok', succeeded: 'ok',
  running: 'busy', connecting: 'busy', waiting: 'warn', behind: 'warn', paused: 'muted',
  excluded: 'muted', detached: 'muted', none: 'muted', disconnected: 'warn',
  conflict: 'warn', error: 'bad', failed: 'bad', partial: 'warn', cancelled: 'muted', ok: 'ok',
};

/** A badge for a state word from the API (synced, conflict, running, …). */
export function stateBadge(state) {
  const word = state === undefined || state === null ? 'unknown' : String(state);
  return badge(word, `state-${STATE_KIND[word] || 'muted'}`);
}

/** Times from the API carry microseconds; shown in UTC, to the second. */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 'unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A table whose cells carry their column name, so narrow screens can reflow it. */
export function table(caption, headers, rows, attrs = {}) {
  const tbody = h('tbody', null, rows);
  const t = h('table', {class: 'data', ...attrs},
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, headers.map((name) => h('th', {scope: 'col'}, name)))),
    tbody);
  return {table: h('div', {class: 'table-wrap'}, t), tbody};
}

/** A table cell labelled for the narrow layout (CSS shows data-label before it). */
export function td(label, ...children) {
  return h('td', {dataset: {label}}, children);
}
