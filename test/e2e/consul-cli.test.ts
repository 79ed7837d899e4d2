// The `isthmus` CLI driven the way scripts drive `consul`: CONSUL_* variables, Consul's HTTP flags
// (token precedence, TLS through a real HTTPS front with client certificates), exit codes, and the
// exact output of kv, members, version, catalog and services commands against a real agent.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { BIN, ROOT, runCli, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';

const MGMT = '8a1f2e34-5b6c-4d7e-8f90-a1b2c3d4e5f6';
const dir = tempDir('consul-cli');
let agent: AgentProcess;
let hostPort = '';
/** A limited token: read-only on KV. */
let readToken = '';

/** The environment a Consul script would export (no ISTHMUS_* variables leak in from the test runner). */
function env(extra: Record<string, string> = {}): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ISTHMUS_') && !k.startsWith('CONSUL_')) clean[k] = v;
  return { ...clean, CONSUL_HTTP_ADDR: hostPort, CONSUL_HTTP_TOKEN: MGMT, ...extra };
}
/** runCli spreads process.env first; pass every variable explicitly (empty = unset for Consul). */
function consul(args: string[], extra: Record<string, string> = {}, input?: string) {
  const e = env(extra);
  for (const k of Object.keys(process.env)) if ((k.startsWith('ISTHMUS_') || k.startsWith('CONSUL_')) && !(k in e)) e[k] = '';
  if (input === undefined) return runCli(args, e);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: e, input, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process's event loop (the HTTPS front below runs in it). */
function consulAsync(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const e = env(extra);
  for (const k of Object.keys(process.env)) if ((k.startsWith('ISTHMUS_') || k.startsWith('CONSUL_')) && !(k in e)) e[k] = '';
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } }));
  agent = await startAgent(['--dev', '--node', 'cli-tools', '--datacenter', 'dc7', '--config-file', cfg]);
  hostPort = `127.0.0.1:${agent.port}`;
  const h = { 'X-Consul-Token': MGMT };
  assert.equal((await fetch(`${agent.httpAddr}/v1/acl/policy`, { method: 'PUT', headers: h, body: JSON.stringify({ Name: 'kv-read', Rules: 'key_prefix "" { policy = "read" }' }) })).status, 200);
  const tok = (await (await fetch(`${agent.httpAddr}/v1/acl/token`, { method: 'PUT', headers: h, body: JSON.stringify({ Policies: [{ Name: 'kv-read' }] }) })).json()) as { SecretID: string };
  readToken = tok.SecretID;
});
after(async () => {
  await agent.stop();
  dir.remove();
});

describe('CONSUL_* variables and address forms', () => {
  it('talks to CONSUL_HTTP_ADDR given as host:port (http) with CONSUL_HTTP_TOKEN', () => {
    const put = consul(['kv', 'put', 'env/addr', 'hello']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, 'Success! Data written to: env/addr\n');
    const get = consul(['kv', 'get', 'env/addr']);
    assert.equal(get.stdout, 'hello\n');
  });

  it('takes -http-addr without a scheme, and a flag over the variable', () => {
    const r = consul(['kv', 'get', '-http-addr', hostPort, 'env/addr'], { CONSUL_HTTP_ADDR: '127.0.0.1:1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    const down = consul(['kv', 'get', 'env/addr'], { CONSUL_HTTP_ADDR: '127.0.0.1:1' });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^Error querying Consul agent: Get "http:\/\/127\.0\.0\.1:1\/v1\/kv\/env\/addr": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
  });

  it('keeps ISTHMUS_HTTP_ADDR working', () => {
    const r = consul(['kv', 'get', 'env/addr'], { CONSUL_HTTP_ADDR: '', ISTHMUS_HTTP_ADDR: agent.httpAddr });
    assert.equal(r.stdout, 'hello\n');
  });

  it('refuses an unknown scheme', () => {
    const r = consul(['kv', 'get', '-http-addr', 'ftp://x:1', 'env/addr']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error connecting to Consul agent: Unknown protocol scheme: ftp\n');
  });

  it('orders token sources: -token-file > -token > CONSUL_HTTP_TOKEN_FILE > CONSUL_HTTP_TOKEN', () => {
    const readFile = join(dir.path, 'read.token');
    writeFileSync(readFile, `  ${readToken}\n`);
    const mgmtFile = join(dir.path, 'mgmt.token');
    writeFileSync(mgmtFile, MGMT);
    const denied = /Unexpected response code: 403 \(Permission denied: token with AccessorID '.*' lacks permission 'key:write' on "env\/tok"\)/;
    const fileOverEnv = consul(['kv', 'put', 'env/tok', 'x'], { CONSUL_HTTP_TOKEN_FILE: readFile });
    assert.equal(fileOverEnv.code, 1);
    assert.match(fileOverEnv.stderr, denied);
    assert.equal(consul(['kv', 'put', '-token', MGMT, 'env/tok', 'x'], { CONSUL_HTTP_TOKEN_FILE: readFile }).code, 0, '-token beats the env token file');
    const fileFlag = consul(['kv', 'put', '-token', MGMT, '-token-file', readFile, 'env/tok', 'x']);
    assert.equal(fileFlag.code, 1, '-token-file beats -token');
    assert.match(fileFlag.stderr, denied);
    assert.equal(consul(['kv', 'put', 'env/tok', 'y'], { CONSUL_HTTP_TOKEN: readToken, CONSUL_HTTP_TOKEN_FILE: mgmtFile }).code, 0);
    const missing = consul(['kv', 'get', '-token-file', '/nonexistent/tok', 'env/tok']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error connecting to Consul agent: Error loading token file /nonexistent/tok : open /nonexistent/tok: no such file or directory\n');
  });

  it('sends -namespace and -partition and reports Consul CE texts; -datacenter and -stale pass through', () => {
    const ns = consul(['kv', 'get', '-namespace', 'team', 'env/addr']);
    assert.equal(ns.code, 1);
    assert.equal(ns.stderr, 'Error querying Consul agent: Unexpected response code: 400 (Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature)\n');
    const ap = consul(['kv', 'get', '-partition', 'team', 'env/addr']);
    assert.equal(ap.code, 1);
    assert.equal(ap.stderr, 'Error querying Consul agent: Unexpected response code: 400 (Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature)\n');
    const ok = consul(['kv', 'get', '-datacenter', 'dc7', '-stale', 'env/addr']);
    assert.equal(ok.stdout, 'hello\n', ok.stderr);
  });
});

describe('usage errors', () => {
  it('exit 1 with Go flag texts', () => {
    const r = consul(['kv', 'get', '-bogus', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^flag provided but not defined: -bogus\n/);
    const n = consul(['kv', 'put', '-flags']);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /^flag needs an argument: -flags\n/);
    const k = consul(['kv', 'get']);
    assert.equal(k.code, 1);
    assert.equal(k.stderr, 'Error! Missing KEY argument\n');
    assert.equal(consul(['kv', 'get', 'a', 'b']).stderr, 'Too many arguments (expected 1, got 2)\n');
    assert.equal(consul(['kv', 'put', '-cas', 'a', 'b']).stderr, 'Must specify -modify-index with -cas!\n');
    assert.equal(consul(['kv', 'delete', '-cas', '-modify-index=3', '-recurse', 'a']).stderr, 'Cannot specify both -cas and -recurse!\n');
    assert.equal(consul(['kv', 'put', '/lead', 'x']).stderr, "Error! Failed writing data: Invalid key. Key must not begin with a '/': /lead\n");
  });
});

describe('TLS flags against a real HTTPS front with client certificates', async () => {
  let front: NetServer;
  let frontPort = 0;
  const pki = join(dir.path, 'pki');
  const f = (n: string): string => join(pki, n);

  before(async () => {
    mkdirSync(pki, { recursive: true });
    const ossl = (args: string[]): void => {
      const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
    };
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ossl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=Isthmus Test CA']);
    for (const [name, san] of [
      ['server', 'DNS:server.dc7.consul'],
      ['client', 'DNS:client.dc7.consul'],
    ] as const) {
      ossl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}.dc7.consul`]);
      writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
      ossl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`)]);
    }
    mkdirSync(f('cadir'));
    writeFileSync(join(f('cadir'), 'ca.pem'), readFileSync(f('ca.pem')));
    // TLS in front of the agent's HTTP port, requiring a client certificate from our CA.
    front = createTlsServer({ key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true }, (sock) => {
      const up: Socket = connect(agent.port, '127.0.0.1');
      sock.pipe(up).pipe(sock);
      sock.on('error', () => up.destroy());
      up.on('error', () => sock.destroy());
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    frontPort = (front.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => front.close(() => r())));

  const tlsEnv = (): Record<string, string> => ({
    CONSUL_HTTP_ADDR: `https://127.0.0.1:${frontPort}`,
    CONSUL_CACERT: f('ca.pem'),
    CONSUL_CLIENT_CERT: f('client.pem'),
    CONSUL_CLIENT_KEY: f('client.key'),
    CONSUL_TLS_SERVER_NAME: 'server.dc7.consul',
  });

  it('reads through HTTPS with CONSUL_CACERT, client cert/key and CONSUL_TLS_SERVER_NAME', async () => {
    const r = await consulAsync(['kv', 'get', 'env/addr'], tlsEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
  });

  it('uses https for host:port with CONSUL_HTTP_SSL=true and takes the TLS flags (-ca-path, :port stripped from the server name)', async () => {
    const r = await consulAsync(
      ['kv', 'get', '-ca-path', f('cadir'), '-client-cert', f('client.pem'), '-client-key', f('client.key'), '-tls-server-name', 'server.dc7.consul:8501', 'env/addr'],
      { CONSUL_HTTP_ADDR: `127.0.0.1:${frontPort}`, CONSUL_HTTP_SSL: 'true' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
  });

  it('fails verification without the right server name or CA, and CONSUL_HTTP_SSL_VERIFY=false skips it', async () => {
    const wrongName = await consulAsync(['kv', 'get', 'env/addr'], { ...tlsEnv(), CONSUL_TLS_SERVER_NAME: '' });
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stderr, /Error querying Consul agent: Get "https:\/\/127\.0\.0\.1:\d+\/v1\/kv\/env\/addr": .*(IP|altnames|certificate)/i);
    const noCa = await consulAsync(['kv', 'get', 'env/addr'], { ...tlsEnv(), CONSUL_CACERT: '' });
    assert.equal(noCa.code, 1);
    const skip = await consulAsync(['kv', 'get', 'env/addr'], { ...tlsEnv(), CONSUL_CACERT: '', CONSUL_TLS_SERVER_NAME: '', CONSUL_HTTP_SSL_VERIFY: 'false' });
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal(skip.stdout, 'hello\n');
  });

  it('is refused by the server without a client certificate, and needs both cert and key', async () => {
    const anon = await consulAsync(['kv', 'get', 'env/addr'], { ...tlsEnv(), CONSUL_CLIENT_CERT: '', CONSUL_CLIENT_KEY: '' });
    assert.equal(anon.code, 1);
    const half = await consulAsync(['kv', 'get', 'env/addr'], { ...tlsEnv(), CONSUL_CLIENT_KEY: '' });
    assert.equal(half.code, 1);
    assert.equal(half.stderr, 'Error connecting to Consul agent: both client cert and client key must be provided\n');
    const badCa = await consulAsync(['kv', 'get', '-ca-file', f('client.key'), 'env/addr'], tlsEnv());
    assert.equal(badCa.code, 1);
    assert.match(badCa.stderr, /^Error connecting to Consul agent: Error loading CA File/);
  });
});

describe('kv commands', () => {
  it('puts from an argument, @file, stdin and base64, with flags', () => {
    const file = join(dir.path, 'value.txt');
    writeFileSync(file, 'from a file\n');
    assert.equal(consul(['kv', 'put', '-flags=42', 'app/db/url', 'postgres://db']).code, 0);
    assert.equal(consul(['kv', 'put', 'app/db/file', `@${file}`]).code, 0);
    assert.equal(consul(['kv', 'put', 'app/stdin', '-'], {}, 'piped').code, 0);
    assert.equal(consul(['kv', 'put', '-base64', 'app/b64', Buffer.from('decoded').toString('base64')]).code, 0);
    assert.equal(consul(['kv', 'put', 'app/empty']).code, 0);
    assert.equal(consul(['kv', 'get', 'app/db/file']).stdout, 'from a file\n\n', "the value's own newline stays");
    assert.equal(consul(['kv', 'get', 'app/stdin']).stdout, 'piped\n');
    assert.equal(consul(['kv', 'get', 'app/b64']).stdout, 'decoded\n');
    assert.equal(consul(['kv', 'get', '-base64', 'app/b64']).stdout, `${Buffer.from('decoded').toString('base64')}\n`);
    assert.equal(consul(['kv', 'get', 'app/empty']).stdout, '\n');
  });

  it('lists with -recurse, -keys (separator / by default) and prints -detailed blocks', async () => {
    assert.equal(consul(['kv', 'get', '-recurse', 'app/db']).stdout, 'app/db/file:from a file\n\napp/db/url:postgres://db\n');
    assert.equal(consul(['kv', 'get', '-keys', 'app/']).stdout, 'app/b64\napp/db/\napp/empty\napp/stdin\n');
    assert.equal(consul(['kv', 'get', '-keys', '-separator=', 'app/db']).stdout, 'app/db/file\napp/db/url\n');
    const d = consul(['kv', 'get', '-detailed', 'app/db/url']);
    const idx = JSON.parse(await readFromApi('app/db/url')) as { CreateIndex: number; ModifyIndex: number }[];
    assert.equal(
      d.stdout,
      `CreateIndex      ${idx[0]?.CreateIndex}\nFlags            42\nKey              app/db/url\nLockIndex        0\nModifyIndex      ${idx[0]?.ModifyIndex}\nSession          -\nValue            postgres://db\n`,
    );
    const miss = consul(['kv', 'get', 'app/none']);
    assert.equal(miss.code, 1);
    assert.equal(miss.stderr, 'Error! No key exists at: app/none\n');
    assert.equal(consul(['kv', 'get', '-recurse', 'nothing/']).stdout, '');
  });

  it('does check-and-set and CAS deletes with -modify-index', async () => {
    const [pair] = JSON.parse(await readFromApi('app/db/url')) as { ModifyIndex: number }[];
    const stale = consul(['kv', 'put', '-cas', '-modify-index', String((pair?.ModifyIndex ?? 0) + 999), 'app/db/url', 'x']);
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr, 'Error! Did not write to app/db/url: CAS failed\n');
    const ok = consul(['kv', 'put', '-cas', `-modify-index=${pair?.ModifyIndex}`, 'app/db/url', 'postgres://db2']);
    assert.equal(ok.stdout, 'Success! Data written to: app/db/url\n', ok.stderr);
    const [now] = JSON.parse(await readFromApi('app/db/url')) as { ModifyIndex: number }[];
    assert.equal(consul(['kv', 'delete', '-cas', '-modify-index=1', 'app/db/url']).stderr, 'Error! Did not delete key app/db/url: CAS failed\n');
    assert.equal(consul(['kv', 'delete', '-cas', `-modify-index=${now?.ModifyIndex}`, 'app/db/url']).stdout, 'Success! Deleted key: app/db/url\n');
  });

  it('exports tab-indented base64 JSON and imports it under a prefix', () => {
    const exp = consul(['kv', 'export', 'app/db']);
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal(exp.stdout, `[\n\t{\n\t\t"key": "app/db/file",\n\t\t"flags": 0,\n\t\t"value": "${Buffer.from('from a file\n').toString('base64')}"\n\t}\n]\n`);
    const file = join(dir.path, 'export.json');
    writeFileSync(file, consul(['kv', 'export', 'app/']).stdout);
    const imp = consul(['kv', 'import', '-prefix', 'copy', `@${file}`]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^Imported: copy\/app\/b64\n/);
    assert.equal(consul(['kv', 'get', 'copy/app/stdin']).stdout, 'piped\n');
    const viaStdin = consul(['kv', 'import', '-'], {}, JSON.stringify([{ key: 'in/one', flags: 5, value: Buffer.from('1').toString('base64') }]));
    assert.equal(viaStdin.stdout, 'Imported: in/one\n', viaStdin.stderr);
    assert.equal(consul(['kv', 'export', 'in/']).stdout, '[\n\t{\n\t\t"key": "in/one",\n\t\t"flags": 5,\n\t\t"value": "MQ=="\n\t}\n]\n');
    assert.equal(consul(['kv', 'export', 'none/']).stdout, '[]\n');
    assert.equal(consul(['kv', 'import', 'not json']).code, 1);
  });

  it('deletes a key and a tree', () => {
    assert.equal(consul(['kv', 'delete', 'app/empty']).stdout, 'Success! Deleted key: app/empty\n');
    assert.equal(consul(['kv', 'delete', '-recurse', 'copy/']).stdout, 'Success! Deleted keys with prefix: copy/\n');
    assert.equal(consul(['kv', 'get', '-keys', 'copy/']).stdout, '');
    const denied = consul(['kv', 'delete', '-recurse', 'app/'], { CONSUL_HTTP_TOKEN: readToken });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^Error! Did not delete prefix app\/: Unexpected response code: 403 \(Permission denied/);
  });
});

/** Reads a key's JSON straight from the API (management token). */
async function readFromApi(key: string): Promise<string> {
  return (await fetch(`${agent.httpAddr}/v1/kv/${key}`, { headers: { 'X-Consul-Token': MGMT } })).text();
}

describe('members, version, catalog and services commands', () => {
  it('members prints the Consul table with the server first', () => {
    const r = consul(['members']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^Node\s+Address\s+Status\s+Type\s+Build\s+Protocol\s+DC\s+Partition\s+Segment$/);
    assert.match(lines[1] ?? '', /^cli-tools\s+127\.0\.0\.1:\d+\s+alive\s+server\s+1\.22\.0\s+2\s+dc7\s+default\s+<all>$/);
    assert.equal(consul(['members', '-status', 'failed']).code, 2, 'nothing matches: exit 2');
    assert.match(consul(['members', '-detailed']).stdout, /^Node\s+Address\s+Status\s+Tags\ncli-tools\s+\S+\s+alive\s+.*role=consul/);
  });

  it('version prints the Consul version block without contacting an agent', () => {
    const r = consul(['version'], { CONSUL_HTTP_ADDR: '127.0.0.1:1' });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Consul v1\.22\.0\nBuild Date \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\nProtocol 2 spoken by default, understands 2 to 3 \(agent will automatically use protocol >2 when speaking to compatible agents\)\n$/);
    const j = consul(['version', '-format=json']);
    assert.match(j.stdout, /^\{\n {3}"Version": "1\.22\.0",\n {3}"Revision": "",\n {3}"Prerelease": "",\n {3}"BuildDate": "[^"]+",\n {3}"RPC": \{\n {6}"Default": 2,/);
  });

  it('catalog datacenters and catalog nodes (-detailed, -service)', () => {
    assert.equal(consul(['catalog', 'datacenters']).stdout, 'dc7\n');
    const nodes = consul(['catalog', 'nodes']);
    assert.match(nodes.stdout, /^Node\s+ID\s+Address\s+DC\ncli-tools\s+[0-9a-f]{8}\s+127\.0\.0\.1\s+dc7\n$/);
    const detailed = consul(['catalog', 'nodes', '-detailed']);
    assert.match(detailed.stdout, /^Node\s+ID\s+Address\s+DC\s+TaggedAddresses\s+Meta\ncli-tools\s+[0-9a-f-]{36}\s+127\.0\.0\.1\s+dc7\s+/);
    const none = consul(['catalog', 'nodes', '-service', 'ghost']);
    assert.equal(none.code, 0);
    assert.equal(none.stderr, 'No nodes match the given query - try expanding your search.\n');
  });

  it('services register reads HCL service files; catalog nodes -service finds the node', () => {
    const hcl = join(dir.path, 'web.hcl');
    writeFileSync(hcl, 'service {\n  name = "web"\n  id = "web-1"\n  port = 8080\n  tags = ["v1"]\n  meta = {\n    team = "edge"\n  }\n  check {\n    ttl = "30s"\n  }\n}\n');
    const r = consul(['services', 'register', hcl]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Registered service: web\n');
    assert.match(consul(['catalog', 'nodes', '-service', 'web']).stdout, /^Node\s+ID\s+Address\s+DC\ncli-tools\s/);
    const multi = join(dir.path, 'many.hcl');
    writeFileSync(multi, 'services {\n  name = "api"\n  port = 9000\n}\nservices {\n  name = "db"\n  port = 5432\n}\n');
    assert.equal(consul(['services', 'register', multi]).stdout, 'Registered service: api\nRegistered service: db\n');
    assert.equal(consul(['catalog', 'services']).stdout, 'api\nconsul\ndb\nweb\n', 'the servers register the consul service');
  });

  it('services exported-services: none found, then 4-space JSON and a -filter', () => {
    assert.equal(consul(['services', 'exported-services', '-format=json']).stdout, 'No exported services found\n');
    assert.equal(consul(['services', 'export', '-name', 'web', '-consumer-peers', 'west,east']).code, 0);
    assert.equal(consul(['services', 'export', '-name', 'api', '-consumer-peers', 'west']).code, 0);
    const j = consul(['services', 'exported-services', '-format=json']);
    assert.equal(j.stdout, '[\n    {\n        "Service": "api",\n        "Consumers": {\n            "Peers": [\n                "west"\n            ]\n        }\n    },\n    {\n        "Service": "web",\n        "Consumers": {\n            "Peers": [\n                "east",\n                "west"\n            ]\n        }\n    }\n]\n');
    assert.equal(consul(['services', 'exported-services']).stdout, 'Service  Consumer Peers\napi      west\nweb      east, west\n');
    assert.equal(consul(['services', 'exported-services', '-filter', 'Service == "web"']).stdout, 'Service  Consumer Peers\nweb      east, west\n');
    assert.equal(consul(['services', 'imported-services']).stdout, 'No imported services found\n');
  });

  it('config read prints 4-space JSON', () => {
    const r = consul(['config', 'read', '-kind', 'exported-services', '-name', 'default']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{\n {4}"Kind": "exported-services",\n {4}"Name": "default",/);
    const miss = consul(['config', 'read', '-kind', 'service-defaults', '-name', 'nope']);
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /^Error reading config entry service-defaults\/nope: Unexpected response code: 404 \(/);
  });
});
