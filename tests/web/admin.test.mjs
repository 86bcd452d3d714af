// End-to-end test of the web administration (/admin/) in headless Debian
// Chromium, driven by playwright-core, against two real tandem-servers: a
// source with a category, resources, commits and a tag, and a target whose
// UI creates a remote configuration through the wizard, watches it
// synchronize, clears name conflicts (renaming, deleting), disables and
// enables it, changes a source password, deletes a configuration, browses a
// copy's history and a diff, creates and changes users, and watches a run
// through a slow link (a dripping TCP proxy) with its progress bar. Any
// console error or warning, or page error, fails it.
//
//   TANDEM_SERVER=build/tools/tandem-server/tandem-server node --test tests/web/admin.test.mjs
//   TANDEM_SCREENSHOTS=1 also writes docs/images/web-admin-*.png (1280x800).
//   TANDEM_SHARED_DIR names the shared folder with data/sysml-v2/ (default: ../shared
//   beside the repository), as for the C++ tests.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, readFile, mkdir, access} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {drippingProxy} from './dripping-proxy.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const SERVER = process.env.TANDEM_SERVER;
const SHOTS = process.env.TANDEM_SCREENSHOTS === '1';
const IMAGES = path.join(REPO, 'docs', 'images');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_PASSWORD = 'admin-secret-1';
const WAIT = 30_000; // every Playwright wait; an ASan server is slow
const LONG_WAIT = 60_000; // a run through the slow link
const SHARED = process.env.TANDEM_SHARED_DIR || path.resolve(REPO, '..', 'shared');
const REAL_MODEL = path.join(SHARED, 'data', 'sysml-v2', 'PartsTreeRedefinition.json');
const PULLER_PASSWORD = 'puller-secret-1';
const ENGINE_ID = '5c0a7f1e-2d3b-4c8a-9e61-0b1f2a3c4d05';
const EVIL_NAME = '<img src=x onerror="window.__pwned=1">Evil';

const servers = [];
const tempDirs = [];
let browser = null;
let page = null;
let source = null;
let target = null;
let proxy = null;
const problems = []; // console errors and warnings, page errors
const allowedHttpErrors = []; // statuses of "Failed to load resource" lines the test provokes on purpose
const data = {};

async function startServer(name) {
  const dir = await mkdtemp(path.join(tmpdir(), `tandem-web-${name}-`));
  tempDirs.push(dir);
  const child = spawn(SERVER, ['--data-dir', dir, '--port', '0'], {
    env: {...process.env, TANDEM_ADMIN_PASSWORD: ADMIN_PASSWORD},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = {name, child, output: ''};
  servers.push(server);
  child.stderr.on('data', (chunk) => { server.output += chunk; });
  server.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s:\n${server.output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      server.output += chunk;
      const m = /listening on (http:\/\/[^\s]+)/.exec(server.output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${server.output}`));
    });
  });
  return server;
}

async function call(server, method, apiPath, body) {
  const response = await fetch(server.url + apiPath, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      'Content-Type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function commit(server, resourceId, body) {
  return (await call(server, 'POST', `/sysml/v2/projects/${resourceId}/commits`, body))['@id'];
}

async function shot(name) {
  if (!SHOTS) return;
  await page.screenshot({path: path.join(IMAGES, `web-admin-${name}.png`)});
}

/** A configuration's status through the API. */
function status(configId) {
  return call(target, 'GET', `/api/v1/remote-configs/${configId}/status`);
}

/** The finish time of a configuration's last run, or null. */
async function lastFinished(configId) {
  const s = await status(configId);
  return s.lastRun ? s.lastRun.finished : null;
}

/** Waits for a run that finishes after `since` (a finish time or null); answers the status. */
async function nextRun(configId, since, ms = WAIT) {
  let s = null;
  await until('the next run to finish', async () => {
    s = await status(configId);
    return s.state !== 'running' && s.lastRun && s.lastRun.finished !== since;
  }, ms);
  return s;
}

/** The value of a fact (a <dd>) of the configuration page, by its term. */
function fact(term) {
  return page.locator(`dl.facts dt:text-is("${term}") + dd`);
}

async function openConfig(name) {
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Remote repository management'}).click();
  await page.getByRole('heading', {level: 1, name: 'Remote repository management'}).waitFor();
  await page.getByRole('link', {name, exact: true}).click();
  await page.getByRole('heading', {level: 1, name}).waitFor();
}

/** Waits until `fn` answers true, polling every 100 ms, for at most `ms`. */
async function until(what, fn, ms = WAIT) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  assert.ok(SERVER, 'set TANDEM_SERVER to the tandem-server binary');
  if (SHOTS) await mkdir(IMAGES, {recursive: true});
  [source, target] = await Promise.all([startServer('source'), startServer('target')]);

  // The source: category "Vehicles" with "Car" (two commits, the second tagged
  // release) and "Truck" (one commit).
  const vehicles = await call(source, 'POST', '/api/v1/categories',
    {name: 'Vehicles', description: 'Road vehicles'});
  data.vehicles = vehicles.id;
  const car = await call(source, 'POST', '/api/v1/resources',
    {name: 'Car', categoryId: vehicles.id, description: 'A car with an engine'});
  data.car = car.id;
  const model = JSON.parse(await readFile(path.join(REPO, 'examples', 'vehicle-commit.json'), 'utf8'));
  data.carFirst = await commit(source, car.id, model);
  data.carSecond = await commit(source, car.id, {
    '@type': 'Commit', description: 'An electric motor',
    previousCommit: {'@id': data.carFirst},
    change: [{identity: {'@id': ENGINE_ID}, payload: {'@type': 'PartDefinition', name: 'ElectricMotor'}}],
  });
  await call(source, 'POST', `/sysml/v2/projects/${car.id}/tags`, {name: 'release', taggedCommit: {'@id': data.carSecond}});
  const truck = await call(source, 'POST', '/api/v1/resources', {name: 'Truck', categoryId: vehicles.id});
  await commit(source, truck.id, {'@type': 'Commit', description: 'Truck package',
    change: [{payload: {'@type': 'Package', name: 'TruckModel'}}]});

  // A name with markup, in the source's root category (not synchronized): the
  // wizard must show it as text.
  const sourceInfo = await call(source, 'GET', '/api/v1/server');
  await call(source, 'POST', '/api/v1/resources', {name: EVIL_NAME, categoryId: sourceInfo.rootCategoryId});

  // A reader account for a second configuration, and what it copies: "Farm" with "Tractor".
  await call(source, 'POST', '/api/v1/users', {name: 'puller', password: PULLER_PASSWORD, role: 'reader'});
  data.farm = (await call(source, 'POST', '/api/v1/categories', {name: 'Farm'})).id;
  data.tractor = (await call(source, 'POST', '/api/v1/resources', {name: 'Tractor', categoryId: data.farm})).id;
  await commit(source, data.tractor, {'@type': 'Commit', description: 'Tractor package',
    change: [{payload: {'@type': 'Package', name: 'TractorModel'}}]});

  // The target: the categories the copies go to.
  data.mirror = (await call(target, 'POST', '/api/v1/categories', {name: 'Mirror'})).id;
  data.archive = (await call(target, 'POST', '/api/v1/categories', {name: 'Archive'})).id;

  browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: WAIT});
  const context = await browser.newContext({viewport: {width: 1280, height: 800}});
  context.setDefaultTimeout(WAIT);
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    const at = m ? allowedHttpErrors.indexOf(Number(m[1])) : -1;
    if (at >= 0) {
      allowedHttpErrors.splice(at, 1);
      return;
    }
    problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (proxy) await proxy.close();
  for (const s of servers) {
    if (s.child.exitCode === null) s.child.kill('SIGTERM');
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => { s.child.kill('SIGKILL'); resolve(); }, 10_000);
    s.child.on('exit', () => { clearTimeout(timer); resolve(); });
  })));
  for (const dir of tempDirs) await rm(dir, {recursive: true, force: true});
});

test('the admin page is served with a strict Content-Security-Policy', async () => {
  const response = await fetch(`${target.url}/admin/`);
  assert.equal(response.status, 200);
  const csp = response.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
});

test('log in', async () => {
  await page.goto(`${target.url}/admin/`);
  await page.getByRole('heading', {name: 'Log in'}).waitFor();
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('wrong-password');
  allowedHttpErrors.push(401); // the login answers 401
  await page.getByRole('button', {name: 'Log in'}).click();
  await page.getByRole('alert').filter({hasText: 'Login failed'}).waitFor();
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password field is cleared');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await shot('login');
  await page.getByRole('button', {name: 'Log in'}).click();
  await page.getByRole('heading', {level: 1, name: 'Remote repository management'}).waitFor();
  const nav = page.getByRole('navigation', {name: 'Main'});
  for (const name of ['Remote repository management', 'Resources', 'Users', 'Server']) {
    await nav.getByRole('link', {name}).waitFor();
  }
  await nav.getByRole('button', {name: 'Log out'}).waitFor();
  assert.match(await nav.textContent(), /admin \(admin\)/);
  // The heading of the new page has the focus.
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  // The token is in memory only.
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(stored, [0, 0, '']);
});

test('the wizard creates a configuration that synchronizes', async () => {
  await page.getByRole('button', {name: 'New configuration'}).click();
  await page.getByRole('heading', {name: 'Step 1 of 4: Source server'}).waitFor();
  const hostPort = source.url.replace(/^http:\/\//, '');
  await page.getByLabel('Source server address').fill(hostPort);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  assert.equal(await page.getByLabel('Use secure connection (TLS)').isChecked(), false);
  allowedHttpErrors.push(400); // the browse answers 400
  await page.getByRole('button', {name: 'Next'}).click();
  await page.getByRole('alert').filter({hasText: 'refused the credentials'}).waitFor();
  await page.getByRole('heading', {name: 'Step 1 of 4: Source server'}).waitFor();
  await shot('wizard-1');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', {name: 'Next'}).click();

  await page.getByRole('heading', {name: 'Step 2 of 4: Resources and categories'}).waitFor();
  await page.getByRole('checkbox', {name: EVIL_NAME}).waitFor();
  assert.equal(await page.locator('.wizard-body img').count(), 0, 'a name from the source is text, not markup');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const vehicles = page.getByRole('checkbox', {name: /^Vehicles/});
  const car = page.getByRole('checkbox', {name: /^Car/});
  await page.getByRole('button', {name: 'Next'}).click();
  await page.getByRole('alert').filter({hasText: 'Select at least one'}).waitFor();
  await vehicles.check();
  assert.equal(await car.isChecked(), true, 'a checked category shows its resources as included');
  assert.equal(await car.isDisabled(), true);
  await shot('wizard-2');
  await page.getByRole('button', {name: 'Next'}).click();

  await page.getByRole('heading', {name: 'Step 3 of 4: Target category'}).waitFor();
  await page.getByRole('radio', {name: 'Mirror'}).check();
  await shot('wizard-3');
  await page.getByRole('button', {name: 'Next'}).click();

  await page.getByRole('heading', {name: 'Step 4 of 4: Trigger and name'}).waitFor();
  await page.getByRole('radio', {name: 'On commit with tag'}).check();
  await page.getByLabel('Tag name').fill('release');
  await page.getByRole('radio', {name: 'On every commit'}).check();
  assert.equal(await page.getByLabel('Tag name').isDisabled(), true);
  assert.equal(await page.getByLabel('Synchronize once').isChecked(), false);
  await page.getByLabel('Name', {exact: true}).fill('Vehicles from the source');
  await shot('wizard-4');
  await page.getByRole('button', {name: 'Create'}).click();

  await page.getByRole('heading', {level: 1, name: 'Remote repository management'}).waitFor();
  await page.getByRole('status').filter({hasText: 'created'}).first().waitFor();
  const row = page.locator('tr', {has: page.getByRole('link', {name: 'Vehicles from the source'})});
  await row.waitFor();
  await row.getByText('On every commit').waitFor();
  // The first run of a commit trigger starts at once; the list polls it to the end.
  await row.locator('td[data-label="Last run"]').getByText('ok').waitFor();
  await row.locator('td[data-label="State"]').getByText('idle').waitFor();
  const configs = await call(target, 'GET', '/api/v1/remote-configs');
  assert.equal(configs.length, 1);
  data.config = configs[0];
  assert.deepEqual(data.config.categories, [data.vehicles]);
  assert.equal(data.config.targetCategoryId, data.mirror);
  assert.equal(data.config.source.url, source.url);
  assert.deepEqual(data.config.trigger, {type: 'commit'});
  await shot('configs');
});

test('a name conflict shows on the configuration page and is cleared by renaming', async () => {
  // A local resource holds the name a new source resource will bring.
  await call(target, 'POST', '/api/v1/resources', {name: 'Bike', categoryId: data.mirror});
  const bike = await call(source, 'POST', '/api/v1/resources', {name: 'Bike', categoryId: data.vehicles});
  await commit(source, bike.id, {'@type': 'Commit', description: 'Bike package',
    change: [{payload: {'@type': 'Package', name: 'BikeModel'}}]});

  await page.getByRole('link', {name: 'Vehicles from the source'}).click();
  await page.getByRole('heading', {level: 1, name: 'Vehicles from the source'}).waitFor();
  const bikeRow = page.locator(`tr[data-source-id="${bike.id}"]`);
  await bikeRow.locator('td[data-label="State"]').getByText('conflict').waitFor();
  await page.getByRole('table', {name: 'Runs, newest first'}).waitFor();
  await shot('config-conflict');
  await bikeRow.getByRole('button', {name: 'Resolve conflict'}).click();
  const newName = bikeRow.getByLabel('New name for the local resource “Bike”');
  await newName.fill('Bike (local)');
  await bikeRow.evaluate((e) => e.scrollIntoView({block: 'center'}));
  await shot('config-rename');
  await bikeRow.getByRole('button', {name: 'Rename and synchronize'}).click();
  await bikeRow.locator('td[data-label="State"]').getByText('synced').waitFor();
  await page.locator('tr[data-state="synced"]').nth(2).waitFor(); // Bike, Car, Truck
  const names = (await call(target, 'GET', `/api/v1/resources?categoryId=${data.mirror}`)).map((r) => r.name).sort();
  assert.deepEqual(names, ['Bike', 'Bike (local)', 'Car', 'Truck']);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('config');
});

test('a name conflict is cleared by deleting the local resource (admin)', async () => {
  const local = await call(target, 'POST', '/api/v1/resources', {name: 'Scooter', categoryId: data.mirror});
  const scooter = await call(source, 'POST', '/api/v1/resources', {name: 'Scooter', categoryId: data.vehicles});
  await commit(source, scooter.id, {'@type': 'Commit', description: 'Scooter package',
    change: [{payload: {'@type': 'Package', name: 'ScooterModel'}}]});
  const row = page.locator(`tr[data-source-id="${scooter.id}"]`);
  await row.locator('td[data-label="State"]').getByText('conflict').waitFor();
  await row.getByRole('button', {name: 'Resolve conflict'}).click();
  await row.getByRole('button', {name: 'Delete local resource'}).click();
  // A second confirmation names what goes.
  await row.getByRole('status').filter({hasText: 'all its history will be deleted'}).waitFor();
  await row.getByRole('button', {name: 'Delete “Scooter” and its history'}).click();
  await page.getByRole('status').filter({hasText: 'Deleted the local resource “Scooter”'}).waitFor();
  await row.locator('td[data-label="State"]').getByText('synced').waitFor();
  const scooters = (await call(target, 'GET', `/api/v1/resources?categoryId=${data.mirror}`))
    .filter((r) => r.name === 'Scooter');
  assert.deepEqual(scooters.map((r) => r.id), [scooter.id], 'only the copy is left');
  await assert.rejects(call(target, 'GET', `/api/v1/resources/${local.id}`), /404/);
});

test('disable then enable a configuration from its page', async () => {
  const id = data.config.id;
  // A selected category is shown by a short id with the full id as its title.
  assert.equal(await fact('Selection').locator(`code[title="${data.vehicles}"]`).textContent(),
    `${data.vehicles.slice(0, 8)}…`);
  await page.getByRole('button', {name: 'Disable'}).click();
  await page.getByRole('status').filter({hasText: 'Configuration disabled.'}).waitFor();
  await page.locator('.config-state').getByText('paused').waitFor();
  assert.equal(await fact('Enabled').textContent(), 'No');
  assert.equal((await call(target, 'GET', `/api/v1/remote-configs/${id}`)).enabled, false);
  assert.equal((await status(id)).state, 'paused');
  await page.getByRole('button', {name: 'Enable'}).click();
  await page.getByRole('status').filter({hasText: 'Configuration enabled.'}).waitFor();
  await page.locator('.config-state').getByText('idle').waitFor();
  assert.equal(await fact('Enabled').textContent(), 'Yes');
  assert.equal((await call(target, 'GET', `/api/v1/remote-configs/${id}`)).enabled, true);
  await until('the state to leave paused', async () => (await status(id)).state === 'idle');
  await page.getByRole('button', {name: 'Disable'}).waitFor();
});

test('change the source password: a refused one, a run error with its hint, the fix', async () => {
  // A second configuration with its own source account, a manual trigger and its own target category.
  const created = await call(target, 'POST', '/api/v1/remote-configs', {
    name: 'Farm archive', source: {url: source.url, username: 'puller', password: PULLER_PASSWORD},
    categories: [], resources: [data.tractor], targetCategoryId: data.archive, trigger: {type: 'manual'}, enabled: true,
  });
  data.farmConfig = created.id;
  await openConfig('Farm archive');
  await fact('Trigger').getByText('Manual').waitFor();
  await fact('Last run').getByText('never').waitFor();
  // Before a run no status row names the selected resource: a short id, in full as its title.
  const selected = fact('Selection').locator(`[title="${data.tractor}"]`);
  assert.equal(await selected.textContent(), `${data.tractor.slice(0, 8)}…`);

  // The same password again: stored, and Synchronize now copies Tractor.
  await page.getByRole('button', {name: 'Change password'}).click();
  await page.getByLabel('New source password').fill(PULLER_PASSWORD);
  await page.getByRole('button', {name: 'Save password'}).click();
  await page.getByRole('status').filter({hasText: 'The source password was changed.'}).waitFor();
  let since = await lastFinished(created.id);
  await page.getByRole('button', {name: 'Synchronize now'}).click();
  let s = await nextRun(created.id, since);
  assert.equal(s.lastRun.outcome, 'ok');
  await page.locator(`tr[data-source-id="${data.tractor}"][data-state="synced"]`).waitFor();
  await fact('Last run').getByText('ok').waitFor();
  // Once a status row names it, the selected resource shows by its name.
  await selected.filter({hasText: /^Tractor$/}).waitFor();

  // The password changes at the source: the next run fails, the page shows why and what to do.
  await call(source, 'PATCH', '/api/v1/users/puller', {password: 'puller-secret-2'});
  since = s.lastRun.finished;
  await page.getByRole('button', {name: 'Synchronize now'}).click();
  s = await nextRun(created.id, since);
  assert.notEqual(s.lastRun.outcome, 'ok');
  assert.ok(s.lastError && s.lastError.hint, `the status gives a hint: ${JSON.stringify(s.lastError)}`);
  await fact('Last error').locator('.error-text').filter({hasText: /refused/}).waitFor();
  await fact('Last error').getByText(`Hint: ${s.lastError.hint}`).waitFor();
  await page.getByRole('table', {name: 'Runs, newest first'}).locator('tbody tr').first()
    .locator('td[data-label="Error"]').filter({hasText: /refused/}).waitFor();
  await shot('config-error');

  // A wrong password is checked against the source and refused in the form.
  await page.getByRole('button', {name: 'Change password'}).click();
  await page.getByLabel('New source password').fill('not-the-password');
  allowedHttpErrors.push(400);
  await page.getByRole('button', {name: 'Save password'}).click();
  await page.locator('form.panel').getByRole('alert').filter({hasText: /refused/}).waitFor();
  assert.equal(await page.getByLabel('New source password').inputValue(), '', 'the field is emptied');

  // The right one: the next run succeeds again.
  await page.getByLabel('New source password').fill('puller-secret-2');
  await page.getByRole('button', {name: 'Save password'}).click();
  await page.getByRole('status').filter({hasText: 'The source password was changed.'}).waitFor();
  since = s.lastRun.finished;
  await page.getByRole('button', {name: 'Synchronize now'}).click();
  s = await nextRun(created.id, since);
  assert.equal(s.lastRun.outcome, 'ok');
  await page.getByRole('table', {name: 'Runs, newest first'}).locator('tbody tr').first()
    .locator('td[data-label="Outcome"]').getByText('ok').waitFor();
});

test('delete a configuration: its copies stay', async () => {
  await page.getByRole('button', {name: 'Delete', exact: true}).click();
  const confirm = page.getByRole('group', {name: 'Confirm deletion'});
  await confirm.getByText('Delete the configuration “Farm archive”?').waitFor();
  await confirm.getByRole('button', {name: 'Cancel'}).click();
  assert.equal(await confirm.count(), 0, 'Cancel closes the confirmation');
  await page.getByRole('button', {name: 'Delete', exact: true}).click();
  await confirm.getByRole('button', {name: 'Delete configuration'}).click();
  await page.getByRole('heading', {level: 1, name: 'Remote repository management'}).waitFor();
  await page.getByRole('status').filter({hasText: 'Configuration “Farm archive” deleted'}).waitFor();
  await page.getByRole('link', {name: 'Vehicles from the source'}).waitFor();
  assert.equal(await page.getByRole('link', {name: 'Farm archive'}).count(), 0);
  const configs = await call(target, 'GET', '/api/v1/remote-configs');
  assert.deepEqual(configs.map((c) => c.name), ['Vehicles from the source']);
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Resources'}).click();
  const tractor = page.locator(`li[data-category-id="${data.archive}"] li[data-resource-id="${data.tractor}"]`);
  await tractor.getByRole('link', {name: 'Tractor'}).waitFor();
  await tractor.getByText('read-only').waitFor();
});

test('a copy shows its origin, history, a difference and its elements', async () => {
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Resources'}).click();
  await page.getByRole('heading', {level: 1, name: 'Resources'}).waitFor();
  const carItem = page.locator(`li[data-resource-id="${data.car}"]`);
  await carItem.getByText('read-only').waitFor();
  await carItem.getByText(`from ${source.url}`).waitFor();
  await shot('resources');
  await carItem.getByRole('link', {name: 'Car'}).click();
  await page.getByRole('heading', {level: 1, name: 'Car'}).waitFor();
  const history = page.getByRole('table', {name: 'Commits, newest first'});
  const rows = history.locator('tbody tr');
  await until('two commits', async () => (await rows.count()) === 2);
  const newest = history.locator(`tr[data-commit-id="${data.carSecond}"]`);
  await newest.getByText('release').waitFor();
  await newest.getByText('main').waitFor();
  await newest.getByText('admin').waitFor();
  const sourceCommits = await call(source, 'GET', `/api/v1/resources/${data.car}/commits`);
  const hash = sourceCommits[0].hash;
  assert.equal(await newest.locator('code').getAttribute('title'), hash, 'the full hash is the title');
  assert.equal(await newest.locator('code').textContent(), hash.slice(0, 12));
  const compare = page.getByRole('button', {name: 'Show difference'});
  assert.equal(await compare.isDisabled(), true);
  await rows.nth(0).getByLabel('Select').check();
  await rows.nth(1).getByLabel('Select').check();
  await compare.click();
  const diff = page.locator('table.diff');
  const changed = diff.locator('tr[data-change="changed"]');
  await changed.waitFor();
  await page.getByRole('heading', {name: /^Difference from/}).evaluate((e) => e.scrollIntoView({block: 'start'}));
  assert.equal(await diff.locator('tbody tr').count(), 1);
  assert.match(await changed.textContent(), /Engine.*ElectricMotor/);
  await changed.getByText('Show both versions').click();
  await changed.locator('pre').nth(1).getByText('"ElectricMotor"').waitFor();
  await shot('resource-diff');
  await history.locator(`tr[data-commit-id="${data.carFirst}"]`).getByRole('button', {name: /^Elements/}).click();
  const elements = page.locator('table.elements');
  const vehicle = elements.locator('tr', {hasText: '5c0a7f1e-2d3b-4c8a-9e61-0b1f2a3c4d03'});
  await vehicle.waitFor();
  assert.match(await vehicle.textContent(), /Vehicle.*PartDefinition/);
  await until('eight elements', async () => (await elements.locator('tbody tr').count()) === 8);
  await page.getByRole('heading', {name: /^Elements at/}).evaluate((e) => e.scrollIntoView({block: 'start'}));
  await shot('resource-elements');
});

test('create a sync manager with a scope', async () => {
  await call(target, 'POST', '/api/v1/users', {name: 'reviewer', password: 'reviewer-secret-1', role: 'reader'});
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Users'}).click();
  await page.getByRole('heading', {level: 1, name: 'Users'}).waitFor();
  await page.getByLabel('Name', {exact: true}).fill('mirror-manager');
  await page.getByLabel('Password', {exact: true}).fill('manager-secret-1');
  const scopes = page.getByRole('group', {name: 'Scopes', exact: true});
  assert.equal(await scopes.isVisible(), false, 'scopes only for sync managers');
  await page.getByLabel('Role', {exact: true}).selectOption('sync-manager');
  await scopes.getByRole('checkbox', {name: 'Mirror'}).check();
  await page.getByRole('button', {name: 'Create user'}).click();
  const row = page.locator('tr[data-user="mirror-manager"]');
  await row.getByText('sync-manager').waitFor();
  await row.getByText('Root / Mirror').waitFor();
  assert.equal(await page.getByLabel('Password', {exact: true}).inputValue(), '');
  const users = await call(target, 'GET', '/api/v1/users');
  const created = users.find((u) => u.name === 'mirror-manager');
  assert.equal(created.role, 'sync-manager');
  assert.deepEqual(created.scopes, [data.mirror]);
});

test('change a role to sync-manager with scopes, edit the scopes, and back', async () => {
  const user = async () => (await call(target, 'GET', '/api/v1/users')).find((u) => u.name === 'reviewer');
  const row = page.locator('tr[data-user="reviewer"]');
  const edit = page.locator('tr.edit-row[data-edit-of="reviewer"]');
  await row.locator('td[data-label="Role"]').getByText('reader').waitFor();
  assert.equal(await row.getByRole('button', {name: 'Edit scopes'}).count(), 0, 'Edit scopes is for sync managers');
  await row.getByRole('button', {name: 'Change role'}).click();
  const scopes = edit.getByRole('group', {name: 'Scopes of reviewer'});
  assert.equal(await scopes.isVisible(), false);
  await edit.getByLabel('New role for reviewer').selectOption('sync-manager');
  await scopes.waitFor();
  await edit.getByRole('button', {name: 'Save role'}).click();
  await edit.getByRole('alert').filter({hasText: 'at least one scope'}).waitFor();
  assert.equal((await user()).role, 'reader', 'nothing is sent without a scope');
  await scopes.getByRole('checkbox', {name: 'Mirror'}).check();
  await edit.getByRole('button', {name: 'Save role'}).click();
  await page.getByRole('status').filter({hasText: 'reviewer is now sync-manager with the scopes Root / Mirror.'}).waitFor();
  await row.locator('td[data-label="Role"]').getByText('sync-manager').waitFor();
  await row.locator('td[data-label="Scopes"]').getByText('Root / Mirror').waitFor();
  assert.deepEqual(await user().then((u) => [u.role, u.scopes]), ['sync-manager', [data.mirror]]);

  // Edit scopes: the form opens with the scopes checked as they are.
  await row.getByRole('button', {name: 'Edit scopes'}).click();
  assert.equal(await scopes.getByRole('checkbox', {name: 'Mirror'}).isChecked(), true);
  assert.equal(await scopes.getByRole('checkbox', {name: 'Archive'}).isChecked(), false);
  await scopes.getByRole('checkbox', {name: 'Archive'}).check();
  await scopes.getByRole('checkbox', {name: 'Mirror'}).uncheck();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('users');
  await edit.getByRole('button', {name: 'Save scopes'}).click();
  await row.locator('td[data-label="Scopes"]').getByText('Root / Archive').waitFor();
  assert.deepEqual((await user()).scopes, [data.archive]);
  assert.equal(await row.locator('td[data-label="Scopes"]').getByText('Root / Mirror').count(), 0);

  // Back to reader: the scopes go with the role.
  await row.getByRole('button', {name: 'Change role'}).click();
  await edit.getByLabel('New role for reviewer').selectOption('reader');
  await edit.getByRole('button', {name: 'Save role'}).click();
  await page.getByRole('status').filter({hasText: 'reviewer is now reader.'}).waitFor();
  await row.locator('td[data-label="Scopes"]').getByText('—').waitFor();
  assert.deepEqual(await user().then((u) => [u.role, u.scopes]), ['reader', []]);
});

test('a run through a slow link shows a progress bar with counts and the time left', {timeout: 180_000}, async (t) => {
  try {
    await access(REAL_MODEL);
  } catch {
    t.skip(`${REAL_MODEL} is missing (set TANDEM_SHARED_DIR)`);
    return;
  }
  // Twelve resources, each the real 228-element model in six commits: about
  // 48 KiB a resource on the wire, some 8 s through 4 KiB every 50 ms.
  const model = JSON.parse(await readFile(REAL_MODEL, 'utf8'));
  const heavy = (await call(source, 'POST', '/api/v1/categories', {name: 'Heavy'})).id;
  const COMMITS = 6;
  const per = Math.ceil(model.change.length / COMMITS);
  for (let r = 0; r < 12; r += 1) {
    const resource = await call(source, 'POST', '/api/v1/resources', {name: `Parts tree ${r + 1}`, categoryId: heavy});
    for (let i = 0; i < COMMITS; i += 1) {
      await commit(source, resource.id, {'@type': 'Commit', description: `Parts tree, part ${i + 1}`,
        change: model.change.slice(i * per, (i + 1) * per)});
    }
  }
  const copies = (await call(target, 'POST', '/api/v1/categories', {name: 'Heavy copies'})).id;
  proxy = await drippingProxy(Number(new URL(source.url).port), {chunk: 4 * 1024, everyMs: 50});
  const slow = await call(target, 'POST', '/api/v1/remote-configs', {
    name: 'Through a slow link', source: {url: `http://127.0.0.1:${proxy.port}`, username: 'admin', password: ADMIN_PASSWORD},
    categories: [heavy], resources: [], targetCategoryId: copies, trigger: {type: 'manual'}, enabled: true,
  });

  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Remote repository management'}).click();
  const row = page.locator(`tr[data-config-id="${slow.id}"]`);
  await row.getByRole('link', {name: 'Through a slow link'}).waitFor();
  await call(target, 'POST', `/api/v1/remote-configs/${slow.id}/sync`);
  const started = Date.now();
  await row.locator('td[data-label="State"]').getByText('running').waitFor({timeout: LONG_WAIT});
  const bar = row.locator('td[data-label="Progress"] progress');
  await bar.waitFor({timeout: LONG_WAIT});
  const text = row.locator('td[data-label="Progress"] .small');
  await text.filter({hasText: /\d+ of \d+ commits, \d+ of \d+ resources/}).waitFor({timeout: LONG_WAIT});
  // The time left is estimated after the first commits; until then it says so.
  assert.match(await text.textContent(), /; (about .+ left|time left: estimating)$/);
  await text.filter({hasText: /about .+ left/}).waitFor({timeout: LONG_WAIT});
  const seen = await text.textContent();
  const [, done, total] = /(\d+) of (\d+) commits/.exec(seen).map(Number);
  assert.equal(total, 72, `twelve resources of six commits: ${seen}`);
  assert.ok(done < total, `the bar shows a run under way: ${seen}`);
  assert.equal(await bar.getAttribute('max'), '72');
  assert.equal(Number(await bar.getAttribute('value')), done);
  const during = await status(slow.id);
  assert.equal(during.state, 'running', 'the run lasts while the page shows it');
  await shot('configs-running');

  await row.locator('td[data-label="State"]').getByText('idle').waitFor({timeout: LONG_WAIT});
  await row.locator('td[data-label="Last run"]').getByText('ok').waitFor();
  await row.locator('td[data-label="Progress"]').getByText('—').waitFor();
  const s = await status(slow.id);
  assert.equal(s.resources.length, 12);
  assert.deepEqual([...new Set(s.resources.map((r) => r.state))], ['synced']);
  t.diagnostic(`the run took about ${((Date.now() - started) / 1000).toFixed(1)} s through the proxy; seen: ${seen}`);
});

test('the server page and the narrow layout', async () => {
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Server'}).click();
  await page.getByRole('heading', {level: 1, name: 'Server'}).waitFor();
  const info = await call(target, 'GET', '/api/v1/server');
  await page.getByText(info.serverId).waitFor();
  await page.getByText(info.version, {exact: true}).waitFor();
  await shot('server');

  await page.setViewportSize({width: 420, height: 800});
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Remote repository management'}).click();
  const vehiclesRow = page.locator(`tr[data-config-id="${data.config.id}"]`);
  await vehiclesRow.getByRole('link', {name: 'Vehicles from the source'}).waitFor();
  await vehiclesRow.locator('td[data-label="Last run"]').getByText('ok').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 420, `the list page is ${width} px wide in a 420 px window`);
  await shot('narrow');
  await page.getByRole('link', {name: 'Vehicles from the source'}).click();
  await page.getByRole('heading', {level: 1, name: 'Vehicles from the source'}).waitFor();
  await page.locator('tr[data-state="synced"]').nth(2).waitFor();
  const configWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(configWidth <= 420, `the configuration page is ${configWidth} px wide in a 420 px window`);
  await page.setViewportSize({width: 1280, height: 800});
});

test('log out, log in with the keyboard only, and a reload ends the session', async () => {
  // The token the page holds (seen on its next request) is revoked by Log out.
  let token = null;
  const spy = (request) => {
    const authorization = request.headers().authorization;
    if (authorization && authorization.startsWith('Bearer ')) token = authorization.slice(7);
  };
  page.on('request', spy);
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Server'}).click();
  await page.getByRole('heading', {level: 1, name: 'Server'}).waitFor();
  page.off('request', spy);
  assert.ok(token, 'the page sent its bearer token');
  const withToken = () => fetch(`${target.url}/api/v1/server`, {headers: {Authorization: `Bearer ${token}`}});
  assert.equal((await withToken()).status, 200);
  await page.getByRole('button', {name: 'Log out'}).click();
  await page.getByRole('heading', {name: 'Log in'}).waitFor();
  await until('the server to refuse the token after Log out', async () => (await withToken()).status === 401);
  // The login page focuses User name; Tab, typing and Enter do the rest.
  assert.equal(await page.evaluate(() => document.activeElement.name), 'username');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', {level: 1, name: 'Remote repository management'}).waitFor();
  // Tab to the Resources link and follow it: the new page's heading gets the focus.
  for (let i = 0; i < 20; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.textContent === 'Resources')) break;
  }
  await page.keyboard.press('Enter');
  await page.getByRole('heading', {level: 1, name: 'Resources'}).waitFor();
  await until('the heading to have the focus', () => page.evaluate(() =>
    document.activeElement.tagName === 'H1' && document.activeElement.textContent === 'Resources'));
  await page.reload();
  await page.getByRole('heading', {name: 'Log in'}).waitFor();
});

test('a 401 drops the session: the login page says so', async () => {
  await page.getByLabel('User name').fill('mirror-manager');
  await page.getByLabel('Password').fill('manager-secret-1');
  await page.getByRole('button', {name: 'Log in'}).click();
  // Logging in again goes back to the page of the address (#/resources here).
  await page.getByRole('heading', {level: 1, name: 'Resources'}).waitFor();
  const nav = page.getByRole('navigation', {name: 'Main'});
  await nav.getByRole('link', {name: 'Remote repository management'}).click();
  assert.match(await nav.textContent(), /mirror-manager \(sync-manager\)/);
  assert.equal(await nav.getByRole('link', {name: 'Users'}).count(), 0, 'Users is for admins');
  await page.getByRole('link', {name: 'Vehicles from the source'}).waitFor();
  // A new password revokes the user's tokens; the list's next poll gets 401.
  allowedHttpErrors.push(401);
  await call(target, 'PATCH', '/api/v1/users/mirror-manager', {password: 'manager-secret-2'});
  await page.getByRole('heading', {name: 'Log in'}).waitFor();
  await page.getByRole('alert').filter({hasText: 'Log in again'}).waitFor();
});

test('no console error or warning, no page error', () => {
  assert.deepEqual(problems, []);
});
