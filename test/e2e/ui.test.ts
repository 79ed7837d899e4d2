// The web UI in real Chromium against two real agents (issue 12): peering by token, imported services,
// intentions with a peer source, deleting a peering; then ACLs on: a read-only token sees but cannot change.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { launchBrowser, screenshot, waitForText, type Browser } from '../support/browser.js';

type Obj = Record<string, unknown>;
const dir = tempDir('ui');
const fast = join(dir.path, 'fast.json');
writeFileSync(fast, JSON.stringify({ peering: { heartbeat_interval: '1s', heartbeat_timeout: '10s' } }));

async function call(a: AgentProcess, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; text: string; json: <T = Obj>() => T }> {
  const r = await fetch(a.httpAddr + path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(token ? { headers: { 'X-Consul-Token': token } } : {}),
  });
  const text = await r.text();
  return { status: r.status, text, json: <T>() => JSON.parse(text) as T };
}

let browser: Browser;
let east: AgentProcess;
let west: AgentProcess;
let eastPage: Page;
let westPage: Page;

before(async () => {
  [east, west, browser] = await Promise.all([
    startAgent(['--dev', '--datacenter', 'east', '--node', 'east-1', '--config-file', fast]),
    startAgent(['--dev', '--datacenter', 'west', '--node', 'west-1', '--config-file', fast]),
    launchBrowser(),
  ]);
  eastPage = await browser.page();
  westPage = await browser.page();
});
after(async () => {
  await browser?.close();
  await Promise.all([east?.stop(), west?.stop()]);
  dir.remove();
});

const row = (page: Page, name: string | RegExp) => page.getByRole('row', { name });

describe('web UI with ACLs off (two agents)', () => {
  it('serves the app at /ui/, redirects / there, and answers unknown assets with 404', async () => {
    const root = await fetch(`${east.httpAddr}/`, { redirect: 'manual' });
    assert.equal(root.status, 301);
    assert.equal(root.headers.get('location'), '/ui/');
    const page = await fetch(`${east.httpAddr}/ui/peers/anything`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    assert.equal((await fetch(`${east.httpAddr}/ui/assets/missing.js`)).status, 404);
    await eastPage.goto(`${east.httpAddr}/`);
    await eastPage.waitForURL(/\/ui\/services$/);
    await eastPage.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
    // Consul's UI URLs (datacenter first) land on the same pages.
    await eastPage.goto(`${east.httpAddr}/ui/east/peers`);
    await eastPage.waitForURL(/\/ui\/peers$/);
    await eastPage.getByRole('heading', { name: 'Peers', level: 1 }).waitFor();
    await eastPage.goto(`${east.httpAddr}/ui/no-such-page`);
    await eastPage.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
  });

  it('generates a token in east, establishes it in west, and both show ACTIVE', async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: east.httpAddr });
    await eastPage.goto(`${east.httpAddr}/ui/peers`);
    await eastPage.getByRole('link', { name: 'Add peer' }).click();
    await eastPage.waitForURL(/\/ui\/peers\/add$/);
    await eastPage.getByRole('textbox', { name: 'Name of the peer' }).fill('west');
    await eastPage.getByRole('textbox', { name: /^Meta \(key=value/ }).fill('env=test');
    await eastPage.getByRole('button', { name: 'Generate token' }).click();
    const tokenBox = eastPage.getByRole('textbox', { name: 'Peering token for west' });
    await tokenBox.waitFor();
    const token = await tokenBox.inputValue();
    assert.match(token, /^eyJDQSI6/, 'a base64 peering token');
    await eastPage.getByRole('button', { name: 'Copy token' }).click();
    await waitForText(eastPage.getByRole('status').filter({ hasText: 'Copied' }), /Copied to the clipboard/);
    assert.equal(await eastPage.evaluate(() => navigator.clipboard.readText()), token, 'the copy button puts the token on the clipboard');
    await screenshot(eastPage, 'add-peer');

    await westPage.goto(`${west.httpAddr}/ui/peers/add`);
    await westPage.getByRole('textbox', { name: 'Name for the peer' }).fill('east');
    await westPage.getByRole('textbox', { name: 'Peering token' }).fill(token);
    await westPage.getByRole('button', { name: 'Establish peering' }).click();
    await westPage.waitForURL(/\/ui\/peers\/east$/);
    await westPage.getByRole('heading', { name: 'east', level: 1 }).waitFor();
    await waitForText(westPage.locator('main .title-row'), /ACTIVE/);

    await eastPage.goto(`${east.httpAddr}/ui/peers`);
    await waitForText(row(eastPage, /^west /), /ACTIVE/);
    await westPage.goto(`${west.httpAddr}/ui/peers`);
    await waitForText(row(westPage, /^east /), /ACTIVE/);
    const r = await call(east, 'GET', '/v1/peering/west');
    assert.deepEqual(r.json().Meta, { env: 'test' }, 'the meta typed in the form reached the API');
  });

  it('shows a service exported by east as imported in west, with its instances', async () => {
    assert.equal((await call(east, 'PUT', '/v1/agent/service/register', { Name: 'web', ID: 'web-1', Port: 8080, Tags: ['v1'], Check: { CheckID: 'web-ttl', TTL: '10m', Status: 'passing' } })).status, 200);
    assert.equal((await call(east, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }] }] })).status, 200);
    await call(west, 'PUT', '/v1/agent/service/register', { Name: 'frontend', Port: 9090 });
    await westPage.goto(`${west.httpAddr}/ui/services`);
    const link = westPage.getByRole('link', { name: 'web (imported from east)' });
    await link.waitFor({ timeout: 30_000 });
    await westPage.getByRole('link', { name: 'frontend', exact: true }).waitFor();
    await waitForText(row(westPage, /web \(imported from east\)/), /imported from east/);
    // Filters live in the URL: only this cluster's services.
    await westPage.getByRole('combobox', { name: 'Source' }).selectOption('local');
    await westPage.waitForURL(/source=local/);
    assert.equal(await link.count(), 0, 'imported service hidden by the source filter');
    await westPage.getByRole('combobox', { name: 'Source' }).selectOption('east');
    await link.waitFor();
    assert.equal(await westPage.getByRole('link', { name: 'frontend', exact: true }).count(), 0);
    await westPage.getByRole('combobox', { name: 'Source' }).selectOption('');
    await westPage.getByRole('searchbox', { name: 'Filter by name' }).fill('fro');
    await westPage.getByRole('link', { name: 'frontend', exact: true }).waitFor();
    assert.equal(await link.count(), 0, 'name filter');
    await westPage.getByRole('searchbox', { name: 'Filter by name' }).fill('');
    await screenshot(westPage, 'services');
    await link.click();
    await westPage.waitForURL(/\/ui\/services\/web\?peer=east$/);
    await westPage.getByRole('heading', { name: 'web-1', level: 2 }).waitFor();
    await waitForText(westPage.locator('main'), /imported from peer east[\s\S]*127\.0\.0\.1:8080[\s\S]*v1[\s\S]*Checks of web-1[\s\S]*passing/);
    await screenshot(westPage, 'service-detail');

    await westPage.goto(`${west.httpAddr}/ui/peers/east`);
    await waitForText(westPage.getByRole('list', { name: 'Services imported from east' }), /web/);
    await westPage.getByRole('img', { name: /^Heartbeat age of east: now .* over ([5-9]|\d{2,}) samples$/ }).waitFor({ timeout: 30_000 });
    await screenshot(westPage, 'peer-detail');
    await eastPage.goto(`${east.httpAddr}/ui/peers/west`);
    await waitForText(eastPage.getByRole('list', { name: 'Services exported to west' }), /web/);
  });

  it('creates and edits an intention with a peer source in the UI, written as a service-intentions entry', async () => {
    await eastPage.goto(`${east.httpAddr}/ui/intentions`);
    await eastPage.getByRole('link', { name: 'Create intention' }).click();
    await eastPage.getByRole('textbox', { name: 'Source service' }).fill('frontend');
    await eastPage.getByRole('combobox', { name: 'Source peer' }).selectOption('west');
    await eastPage.getByRole('textbox', { name: 'Destination service' }).fill('web');
    await eastPage.getByRole('radio', { name: 'Allow' }).check();
    await eastPage.getByRole('textbox', { name: 'Description' }).fill('west frontend calls web');
    await screenshot(eastPage, 'intention-form');
    await eastPage.getByRole('button', { name: 'Save intention' }).click();
    await eastPage.waitForURL(/\/ui\/intentions$/);
    const r = await call(east, 'GET', '/v1/config/service-intentions/web');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.json<{ Sources: Obj[] }>().Sources.map((s) => ({ Name: s.Name, Peer: s.Peer, Action: s.Action, Description: s.Description })),
      [{ Name: 'frontend', Peer: 'west', Action: 'allow', Description: 'west frontend calls web' }],
    );
    // A local wildcard deny beside it: precedence decides, and the list shows it.
    await call(east, 'PUT', '/v1/config', { Kind: 'service-intentions', Name: 'web', Sources: [...r.json<{ Sources: Obj[] }>().Sources, { Name: '*', Action: 'deny' }] });
    await waitForText(row(eastPage, /frontend.*peer west.*web/), /allow\s+9/);
    await waitForText(row(eastPage, /^\*/), /deny\s+8/);
    await screenshot(eastPage, 'intentions');

    await eastPage.getByRole('link', { name: 'Edit intention frontend (peer west) to web' }).click();
    await eastPage.waitForURL(/\/ui\/intentions\/edit\?/);
    await waitForText(eastPage.locator('main'), /Edit intention/);
    await eastPage.getByRole('radio', { name: 'Deny' }).check();
    await eastPage.getByRole('button', { name: 'Save intention' }).click();
    await eastPage.waitForURL(/\/ui\/intentions$/);
    const after = (await call(east, 'GET', '/v1/config/service-intentions/web')).json<{ Sources: Obj[] }>().Sources;
    assert.deepEqual(after.find((s) => s.Peer === 'west')?.Action, 'deny');
    assert.equal(after.length, 2, 'the other source is kept');

    // Creating the same (peer, source) → destination again is refused with a message, and nothing is written.
    await eastPage.goto(`${east.httpAddr}/ui/intentions/new`);
    await eastPage.getByRole('textbox', { name: 'Source service' }).fill('frontend');
    await eastPage.getByRole('combobox', { name: 'Source peer' }).selectOption('west');
    await eastPage.getByRole('textbox', { name: 'Destination service' }).fill('web');
    await eastPage.getByRole('button', { name: 'Save intention' }).click();
    await waitForText(eastPage.getByRole('alert'), /An intention from peer west frontend to web already exists; edit it instead/);
    assert.equal((await call(east, 'GET', '/v1/config/service-intentions/web')).json<{ Sources: Obj[] }>().Sources.length, 2);

    await eastPage.goto(`${east.httpAddr}/ui/intentions`);
    await eastPage.getByRole('button', { name: 'Delete intention frontend (peer west) to web' }).click();
    await eastPage.getByRole('dialog', { name: 'Delete intention?' }).getByRole('button', { name: 'Delete intention' }).click();
    await waitFor(async () => ((await call(east, 'GET', '/v1/config/service-intentions/web')).json<{ Sources: Obj[] }>().Sources.length === 1 ? true : undefined), 'source removed');
  });

  it('shows the topology picture with each link', async () => {
    await eastPage.goto(`${east.httpAddr}/ui/topology`);
    const pic = eastPage.getByRole('img', { name: /Cluster east and its 1 peers/ });
    await pic.waitFor();
    await eastPage.getByRole('link', { name: /^Peer west: ACTIVE, link healthy/ }).waitFor();
    // Samples accumulate from polling (every 2 s) and survive page loads in this tab.
    await eastPage.getByRole('img', { name: /^Replication lag of west: now .* over ([5-9]|\d{2,}) samples$/ }).waitFor({ timeout: 30_000 });
    await screenshot(eastPage, 'topology');
  });

  it('shows the API error text when establishing with a bad token', async () => {
    await westPage.goto(`${west.httpAddr}/ui/peers/add`);
    await westPage.getByRole('textbox', { name: 'Name for the peer' }).fill('bogus');
    await westPage.getByRole('textbox', { name: 'Peering token' }).fill('bm90IGEgdG9rZW4=');
    await westPage.getByRole('button', { name: 'Establish peering' }).click();
    const api = await call(west, 'POST', '/v1/peering/establish', { PeerName: 'bogus', PeeringToken: 'bm90IGEgdG9rZW4=' });
    assert.ok(api.status >= 400);
    const alert = await waitForText(westPage.getByRole('alert'), /Establishing the peering failed/);
    assert.ok(alert.includes(api.text.trim()), `alert shows the API's text: ${alert} vs ${api.text}`);
  });

  it('deletes the peering in the UI after confirmation; the other side shows TERMINATED', async () => {
    await eastPage.goto(`${east.httpAddr}/ui/peers`);
    await eastPage.getByRole('button', { name: 'Delete peering west' }).click();
    const dialog = eastPage.getByRole('dialog', { name: 'Delete peering west?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // By keyboard: focus starts on Cancel, Escape closes.
    await eastPage.getByRole('button', { name: 'Delete peering west' }).focus();
    await eastPage.keyboard.press('Enter');
    await dialog.waitFor();
    assert.equal(await eastPage.evaluate(() => document.activeElement?.textContent), 'Cancel', 'focus lands on Cancel');
    await eastPage.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await call(east, 'GET', '/v1/peering/west')).status, 200, 'cancel deletes nothing');
    await eastPage.getByRole('button', { name: 'Delete peering west' }).click();
    await screenshot(eastPage, 'delete-peer-confirm');
    await dialog.getByRole('button', { name: 'Delete peering' }).click();
    await waitFor(async () => ((await call(east, 'GET', '/v1/peering/west')).status === 404 ? true : undefined), 'east peering gone', 30_000);
    await waitForText(eastPage.locator('main'), /No peerings yet/);
    await westPage.goto(`${west.httpAddr}/ui/peers`);
    await waitForText(row(westPage, /^east /), /TERMINATED/);
    assert.ok(await westPage.getByRole('button', { name: 'Delete peering east' }).isDisabled(), 'a TERMINATED peering offers no delete (as Consul UI)');
    await screenshot(westPage, 'peers-terminated');
  });
});

describe('web UI with ACLs on', () => {
  const MGMT = 'b3f7c1a2-5d4e-4f60-9a8b-7c6d5e4f3a21';
  let agent: AgentProcess;
  let page: Page;
  let readOnly = '';
  let nothing = '';
  let apiWriter = '';

  before(async () => {
    const cfg = join(dir.path, 'acl.json');
    writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } }));
    agent = await startAgent(['--dev', '--datacenter', 'south', '--node', 'south-1', '--config-file', cfg]);
    const mk = async (name: string, rules: string): Promise<string> => {
      const p = await call(agent, 'PUT', '/v1/acl/policy', { Name: name, Rules: rules }, MGMT);
      assert.equal(p.status, 200, p.text);
      return (await call(agent, 'PUT', '/v1/acl/token', { Description: name, Policies: [{ Name: name }] }, MGMT)).json<{ SecretID: string }>().SecretID;
    };
    readOnly = await mk('read-only', 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\npeering = "read"\nmesh = "read"\n');
    nothing = await mk('nothing', 'node_prefix "" { policy = "read" }\n');
    apiWriter = await mk('api-writer', 'service_prefix "" { policy = "read" }\nservice "api" {\n  policy = "read"\n  intentions = "write"\n}\n');
    assert.equal((await call(agent, 'POST', '/v1/peering/token', { PeerName: 'north' }, MGMT)).status, 200);
    await call(agent, 'PUT', '/v1/agent/service/register', { Name: 'api', Port: 7000 }, MGMT);
    await call(agent, 'PUT', '/v1/config', { Kind: 'service-intentions', Name: 'api', Sources: [{ Name: 'web', Action: 'allow' }] }, MGMT);
    page = await browser.page();
  });
  after(async () => {
    await agent?.stop();
  });

  it('answers POST /v1/internal/acl/authorize in Consul shape', async () => {
    const r = await call(agent, 'POST', '/v1/internal/acl/authorize', [{ Resource: 'peering', Access: 'read' }, { Resource: 'service', Segment: 'api', Access: 'WRITE' }], readOnly);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [
      { Resource: 'peering', Access: 'read', Allow: true },
      { Resource: 'service', Segment: 'api', Access: 'write', Allow: false },
    ]);
    assert.equal((await call(agent, 'POST', '/v1/internal/acl/authorize', [], 'no-such-token')).text, 'ACL not found');
  });

  it('refuses an unknown token at login with the API text', async () => {
    await page.goto(`${agent.httpAddr}/ui/login`);
    await page.getByLabel('ACL token (SecretID)').fill('11111111-2222-3333-4444-555555555555');
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForText(page.getByRole('alert'), /Login failed: ACL not found/);
  });

  it('a read-only token sees peerings and intentions but every change is hidden or disabled', async () => {
    await page.goto(`${agent.httpAddr}/ui/login`);
    await page.getByLabel('ACL token (SecretID)').fill(readOnly);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/ui\/services$/);
    await page.getByRole('link', { name: 'api', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Peers' }).click();
    await waitForText(row(page, /^north /), /PENDING/);
    assert.equal(await page.getByRole('link', { name: 'Add peer' }).count(), 0, 'no Add peer for a read-only token');
    assert.ok(await page.getByRole('button', { name: 'Delete peering north' }).isDisabled());
    await page.getByRole('note').filter({ hasText: 'lacks peering:write' }).waitFor();
    await screenshot(page, 'peers-read-only');
    await page.getByRole('link', { name: 'Intentions' }).click();
    await waitForText(row(page, /^web/), /allow/);
    assert.equal(await page.getByRole('link', { name: 'Create intention' }).count(), 0);
    assert.ok(await page.getByRole('button', { name: 'Delete intention web to api' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Edit intention web to api' }).isDisabled());
    await page.getByRole('note').filter({ hasText: 'lacks intention:write' }).waitFor();
    // Forms reached by URL say so, and the server's 403 is shown as a message, not swallowed.
    await page.goto(`${agent.httpAddr}/ui/peers/add`);
    await page.getByRole('note').filter({ hasText: 'lacks peering:write' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Generate token' }).isDisabled());
    await page.goto(`${agent.httpAddr}/ui/intentions/new?destination=api`);
    await page.getByRole('textbox', { name: 'Source service' }).fill('db');
    await page.getByRole('button', { name: 'Save intention' }).click();
    await waitForText(page.getByRole('alert'), /Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'intention:write' on "api"/);
    await screenshot(page, 'intention-403');
    assert.equal((await call(agent, 'GET', '/v1/config/service-intentions/api', undefined, MGMT)).json<{ Sources: Obj[] }>().Sources.length, 1, 'nothing written');
  });

  it('asks per destination: a token that may write only api\'s intentions can edit those', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/ui\/login$/);
    await page.getByLabel('ACL token (SecretID)').fill(apiWriter);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/ui\/services$/);
    await page.getByRole('link', { name: 'Intentions' }).click();
    await page.getByRole('link', { name: 'Edit intention web to api' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Delete intention web to api' }).isEnabled());
    await page.getByRole('link', { name: 'Edit intention web to api' }).click();
    await waitForText(page.locator('main'), /Edit intention/);
    await page.getByRole('radio', { name: 'Deny' }).check();
    await page.getByRole('button', { name: 'Save intention' }).click();
    await page.waitForURL(/\/ui\/intentions$/);
    const sources = (await call(agent, 'GET', '/v1/config/service-intentions/api', undefined, MGMT)).json<{ Sources: Obj[] }>().Sources;
    assert.deepEqual(sources.map((s) => [s.Name, s.Action]), [['web', 'deny']]);
  });

  it('a token without peering:read gets the API 403 as a message on the Peers page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/ui\/login$/);
    await page.getByLabel('ACL token (SecretID)').fill(nothing);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/ui\/services$/);
    await page.goto(`${agent.httpAddr}/ui/peers`);
    await waitForText(page.getByRole('alert'), /Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'peering:read'/);
    await screenshot(page, 'peers-403');
  });
});
