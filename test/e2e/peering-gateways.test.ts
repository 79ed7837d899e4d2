// Peering control-plane traffic through mesh gateways (mesh Peering.PeerThroughMeshGateways, spec §10.3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import { freePort, startCli, type CliProcess } from '../support/processes.js';

let A: AgentProcess;
let B: AgentProcess;
const procs: CliProcess[] = [];
let gwA = 0;

const call = (a: AgentProcess, method: string, path: string, body?: unknown) => fetch(a.httpAddr + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

before(async () => {
  [A, B] = await Promise.all([startAgent(['--dev', '--node', 'a1', '--datacenter', 'east']), startAgent(['--dev', '--node', 'b1', '--datacenter', 'west'])]);
  for (const a of [A, B]) assert.equal((await call(a, 'PUT', '/v1/config', { Kind: 'mesh', Peering: { PeerThroughMeshGateways: true } })).status, 200);
});
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all([A.stop(), B.stop()]);
});

describe('peering through mesh gateways', () => {
  it('refuses to generate a token before a gateway is registered', async () => {
    const r = await call(A, 'POST', '/v1/peering/token', { PeerName: 'west' });
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'servers are configured to PeerThroughMeshGateways, but no mesh gateway instances are registered');
  });

  it('advertises the gateway in the token and peers only through both gateways', async () => {
    gwA = await freePort();
    const gwB = await freePort();
    procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${gwA}`, '--log-level', 'debug', '--http-addr', A.httpAddr], /Mesh gateway running/));
    procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${gwB}`, '--log-level', 'debug', '--http-addr', B.httpAddr], /Mesh gateway running/));
    const token = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', A.httpAddr]).stdout.trim();
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as { ServerAddresses: string[] };
    assert.deepEqual(decoded.ServerAddresses, [`127.0.0.1:${gwA}`], 'the token carries the gateway, not the server gRPC port');
    assert.notEqual(decoded.ServerAddresses[0], A.grpcAddr);
    const est = runCli(['peering', 'establish', '--name', 'east', '--peering-token', token, '--http-addr', B.httpAddr]);
    assert.equal(est.code, 0, est.stderr);
    const state = async (a: AgentProcess, n: string) => ((await (await call(a, 'GET', `/v1/peering/${n}`)).json()) as { State: string }).State;
    await waitFor(async () => ((await state(A, 'west')) === 'ACTIVE' && (await state(B, 'east')) === 'ACTIVE' ? true : undefined), 'ACTIVE through gateways');
    assert.match(procs[1]?.output() ?? '', /routing a connection .*route=remote-server/, "west's gateway carried the dial");
    assert.match(procs[0]?.output() ?? '', /routing a connection .*route=server/, "east's gateway delivered it to east's servers");
  });

  it('replicates exported services over the gateway path', async () => {
    await call(A, 'PUT', '/v1/agent/service/register', { Name: 'web', Port: 80 });
    await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }] }] });
    await waitFor(async () => (((await (await call(B, 'GET', '/v1/health/service/web?peer=east')).json()) as unknown[]).length === 1 ? true : undefined), 'web on west');
  });
});
