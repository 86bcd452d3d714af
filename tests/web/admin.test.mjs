// End-to-end test of the web administration (/admin/) in headless Debian
// Chromium, driven by playwright-core, against two real tandem-servers: a
// source with a category, resources, commits and a tag, and a target whose
// UI creates a remote configuration through the wizard, watches it
// synchronize, clears a name conflict, browses a copy's history and a diff,
// and creates a user. Any console error or warning, or page error, fails it.
//
//   TANDEM_SERVER=build/tools/tandem-server/tandem-server node --test tests/web/admin.test.mjs
//   TANDEM_SCREENSHOTS=1 also writes docs/images/web-admin-*.png (1280x800).

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, readFile, mkdir} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const SERVER = process.env.TANDEM_SERVER;
const SHOTS = process.env.TANDEM_SCREENSHOTS === '1';
const IMAGES = path.join(REPO, 'docs', 'images');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_PASSWORD = 'admin-secret-1';
const WAIT = 30_000; // every Playwright wait; an ASan server is slow
const ENGINE_ID = '5c0a7f1e-2d3b-4c8a-9e61-0b1f2a3c4d05';
const EVIL_NAME = '<img src=x onerror="window.__pwned=1">Evil';

const servers = [];
const tempDirs = [];
let browser = null;
let page = null;
let source = null;
let target = null;
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

  // The target: the category the copies go to.
  data.mirror = (await call(target, 'POST', '/api/v1/categories', {name: 'Mirror'})).id;

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
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: 'Users'}).click();
  await page.getByRole('heading', {level: 1, name: 'Users'}).waitFor();
  await page.getByLabel('Name', {exact: true}).fill('mirror-manager');
  await page.getByLabel('Password', {exact: true}).fill('manager-secret-1');
  const scopes = page.getByRole('group', {name: 'Scopes'});
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
  await shot('users');
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
  await page.getByRole('link', {name: 'Vehicles from the source'}).waitFor();
  await page.locator('td[data-label="Last run"]').getByText('ok').waitFor();
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
  await page.getByRole('button', {name: 'Log out'}).click();
  await page.getByRole('heading', {name: 'Log in'}).waitFor();
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
