// The data plane with ACLs on and default deny on both clusters: a gateway token with exactly the
// seed's rules and sidecars with service identities carry traffic; nothing more is needed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { freePort, httpGet, startApp, startCli, type CliProcess } from '../support/processes.js';

const MGMT = '99999999-8888-4777-8666-555555555555';
const dir = tempDir('dp-acl');
let A: AgentProcess;
let B: AgentProcess;
const procs: CliProcess[] = [];
let app: { port: number; close(): void };

const GATEWAY_RULES = 'service "mesh-gateway" {\n  policy = "write"\n}\nservice_prefix "" {\n  policy = "read"\n}\nnode_prefix "" {\n  policy = "read"\n}\nagent_prefix "" {\n  policy = "read"\n}\nmesh = "write"\npeering = "read"\n';

async function call(a: AgentProcess, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(a.httpAddr + path, { method, headers: { 'X-Consul-Token': MGMT }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function token(a: AgentProcess, body: unknown): Promise<string> {
  const r = await call(a, 'PUT', '/v1/acl/token', body);
  assert.equal(r.status, 200);
  return ((await r.json()) as { SecretID: string }).SecretID;
}

before(async () => {
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } }));
  [A, B] = await Promise.all([startAgent(['--dev', '--node', 'a1', '--datacenter', 'east', '--config-file', cfg]), startAgent(['--dev', '--node', 'b1', '--datacenter', 'west', '--config-file', cfg])]);
  app = await startApp('hello with ACLs');
});
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  app.close();
  await Promise.all([A.stop(), B.stop()]);
  dir.remove();
});

describe('data plane under ACL default deny', () => {
  it('carries traffic with least-privilege gateway and sidecar tokens', async () => {
    const tok = JSON.parse(runCli(['peering', 'generate-token', '--name', 'west', '--format', 'json', '--http-addr', A.httpAddr, '--token', MGMT]).stdout) as { PeeringToken: string };
    assert.equal(runCli(['peering', 'establish', '--name', 'east', '--peering-token', tok.PeeringToken, '--http-addr', B.httpAddr, '--token', MGMT]).code, 0);
    assert.equal((await call(A, 'PUT', '/v1/acl/policy', { Name: 'mesh-gateway', Rules: GATEWAY_RULES })).status, 200);
    const gwToken = await token(A, { Policies: [{ Name: 'mesh-gateway' }] });
    const backendToken = await token(A, { ServiceIdentities: [{ ServiceName: 'backend' }] });
    const frontendToken = await token(B, { ServiceIdentities: [{ ServiceName: 'frontend' }] });
    const upstream = await freePort();
    assert.equal((await fetch(`${A.httpAddr}/v1/agent/service/register`, { method: 'PUT', headers: { 'X-Consul-Token': backendToken }, body: JSON.stringify({ Name: 'backend', Port: app.port, Connect: { SidecarService: { Port: await freePort() } } }) })).status, 200);
    await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'backend', Consumers: [{ Peer: 'west' }] }] });
    await call(A, 'PUT', '/v1/config', { Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'frontend', Peer: 'west', Action: 'allow' }] });
    procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${await freePort()}`, '--http-addr', A.httpAddr, '--token', gwToken], /Mesh gateway running/));
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--refresh-interval-ms', '500', '--http-addr', A.httpAddr, '--token', backendToken], /running/));
    assert.equal((await fetch(`${B.httpAddr}/v1/agent/service/register`, { method: 'PUT', headers: { 'X-Consul-Token': frontendToken }, body: JSON.stringify({ Name: 'frontend', Port: 1, Connect: { SidecarService: { Port: await freePort(), Proxy: { Upstreams: [{ DestinationName: 'backend', DestinationPeer: 'east', LocalBindPort: upstream }] } } } }) })).status, 200);
    await waitFor(async () => (((await (await fetch(`${B.httpAddr}/v1/health/connect/backend?peer=east`, { headers: { 'X-Consul-Token': frontendToken } })).json()) as unknown[]).length > 0 ? true : undefined), 'imported backend visible to the frontend token');
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'frontend', '--refresh-interval-ms', '500', '--http-addr', B.httpAddr, '--token', frontendToken], /running/));
    const r = await waitFor(async () => {
      const x = await httpGet(upstream);
      return x.ok ? x : undefined;
      // The first call waits for the backend sidecar's listener check to pass and reach the peer: allow for a loaded machine.
    }, 'traffic under ACLs', 30_000);
    assert.equal(r.body, 'hello with ACLs');
  });

  it('keeps peered callers out without an intention (default deny)', async () => {
    await call(A, 'DELETE', '/v1/config/service-intentions/backend');
    const upstreamPort = Number(/Upstream east\/backend: 127\.0\.0\.1:(\d+)/.exec(procs[2]?.output() ?? '')?.[1]);
    await waitFor(async () => ((await httpGet(upstreamPort)).ok ? undefined : true), 'refused without an intention');
  });
});
