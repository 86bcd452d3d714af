// Pieces shared by the configuration list and a configuration's page: how a
// trigger, a state with its progress and an error with its hint are shown,
// and a poller that stops when the page is left.

import {h, stateBadge, formatTime, formatDuration, formatBytes} from './dom.js';

export const POLL_MS = 2000;

export function triggerText(config) {
  const t = config && config.trigger ? config.trigger : {};
  let text;
  if (t.type === 'commit') text = 'On every commit';
  else if (t.type === 'tag') text = `On commit with tag “${t.tag ?? ''}”`;
  else if (t.type === 'manual') text = 'Manual';
  else text = String(t.type ?? 'unknown');
  return config && config.once ? `${text}, once` : text;
}

export function sourceText(config) {
  const s = config && config.source ? config.source : {};
  return s.username ? `${s.url ?? ''} as ${s.username}` : String(s.url ?? '');
}

/** The state badge, and while running a <progress> with what is done and the time left. */
export function stateView(status) {
  if (!status) return [h('span', {class: 'muted'}, 'loading…')];
  const parts = [stateBadge(status.state)];
  if (status.state === 'waiting' && status.nextAttempt) {
    parts.push(h('span', {class: 'small'}, ` next attempt ${formatTime(status.nextAttempt)}`));
  }
  return parts;
}

export function progressView(status) {
  const p = status && status.state === 'running' ? status.progress : null;
  if (!p) return [h('span', {class: 'muted'}, '—')];
  const total = Number(p.commitsTotal) || 0;
  const done = Number(p.commitsDone) || 0;
  const bar = total > 0
    ? h('progress', {max: String(total), value: String(Math.min(done, total)), 'aria-label': 'Commits copied'})
    : h('progress', {'aria-label': 'Commits copied'});
  // secondsLeft is the server's estimate, null until it has one.
  const left = Number(p.secondsLeft);
  const eta = p.secondsLeft === null || p.secondsLeft === undefined || !Number.isFinite(left)
    ? 'time left: estimating' : `about ${formatDuration(left)} left`;
  const rate = Number(p.bytesPerSecond) > 0 ? ` at ${formatBytes(Math.round(Number(p.bytesPerSecond)))}/s` : '';
  const text = `${done} of ${total || '?'} commits, ${p.resourcesDone ?? 0} of ${p.resourcesTotal ?? '?'} resources, ` +
    `${formatBytes(p.bytesDone)}${rate}; ${eta}`;
  return [h('div', {class: 'progress'}, bar, h('span', {class: 'small'}, text))];
}

export function lastRunView(status) {
  const run = status ? status.lastRun : null;
  if (!run) return [h('span', {class: 'muted'}, 'never')];
  return [formatTime(run.finished), ' ', stateBadge(run.outcome)];
}

export function lastErrorView(status) {
  const e = status ? status.lastError : null;
  if (!e) return [h('span', {class: 'muted'}, 'none')];
  if (typeof e === 'string') return [h('span', {class: 'error-text'}, e)];
  return [
    h('span', {class: 'error-text'}, String(e.message ?? e.description ?? '')),
    e.hint ? h('span', {class: 'hint-text'}, `Hint: ${e.hint}`) : null,
    e.time ? h('span', {class: 'small muted'}, formatTime(e.time)) : null,
  ];
}

/**
 * Calls `tick` now and then every POLL_MS after the previous call ended (never
 * two at once), until the page is left.
 */
export function poll(ctx, tick) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    if (stopped || !ctx.alive()) return;
    try {
      await tick();
    } catch (e) {
      // A failed poll is shown by the tick itself; 401 already went to the login page.
    }
    if (!stopped && ctx.alive()) timer = setTimeout(run, POLL_MS);
  };
  ctx.onLeave(() => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
  });
  return run();
}
