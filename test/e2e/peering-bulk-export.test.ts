// A bulk export to several peers at once, with gRPC write back-pressure, converges on every peer
// (issue 9 defect: one peering's exporter stalled for good when a heartbeat was written while the
// export loop waited for `drain`; the loop then waited for a second `drain` that never came).
// Heartbeats every 5 ms make that interleaving frequent; hundreds of services keep the stream's
// write buffer full.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { call, stateIs } from '../support/peering-api.js';

const SERVICES = 600;
const PER_SERVICE = 4;
const PEERS = 5;
const dir = tempDir('peering-bulk');
const cfg = join(dir.path, 'fast.json');
writeFileSync(cfg, JSON.stringify({ peering: { heartbeat_interval: '5ms', heartbeat_timeout: '30s' } }));

let A: AgentProcess; // exporter (acceptor of every peering)
let B: AgentProcess; // importer (dialer of every peering)

before(async () => {
  [A, B] = await Promise.all([
    startAgent(['--dev', '--node', 'a', '--datacenter', 'east', '--log-level', 'warn', '--config-file', cfg]),
    startAgent(['--dev', '--node', 'b', '--datacenter', 'west', '--log-level', 'warn', '--config-file', cfg]),
  ]);
});
after(async () => {
  await Promise.all([A?.stop(), B?.stop()]);
  dir.remove();
});

const countOn = async (peer: string): Promise<{ services: number; instances: number }> => {
  const names = (await call(B, 'GET', `/v1/catalog/services?peer=${peer}`)).json() as Record<string, unknown>;
  const instances = ((await call(B, 'GET', `/v1/health/state/any?peer=${peer}`)).json() as unknown[]).length;
  return { services: Object.keys(names).length, instances };
};

describe('bulk export to several peers with back-pressure', { timeout: 240_000 }, () => {
  it(`${SERVICES} services × ${PER_SERVICE} instances exported at once reach all ${PEERS} peers`, async () => {
    for (let i = 0; i < PEERS; i++) {
      const token = ((await call(A, 'POST', '/v1/peering/token', { PeerName: `b${i}` })).json() as { PeeringToken: string }).PeeringToken;
      const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: `a${i}`, PeeringToken: token });
      assert.equal(r.status, 200, r.text);
    }
    for (let i = 0; i < PEERS; i++) {
      await waitFor(stateIs(A, `b${i}`, 'ACTIVE'), `b${i} ACTIVE on A`, 30_000);
      await waitFor(stateIs(B, `a${i}`, 'ACTIVE'), `a${i} ACTIVE on B`, 30_000);
    }
    const regs: Promise<unknown>[] = [];
    for (let s = 0; s < SERVICES; s++) {
      for (let i = 0; i < PER_SERVICE; i++) {
        regs.push(call(A, 'PUT', '/v1/catalog/register', { Node: `n${i}`, Address: `10.0.${i}.1`, Service: { Service: `svc-${s}`, ID: `svc-${s}-${i}`, Port: 8080, Tags: ['v1'] }, Check: { CheckID: `c-${s}-${i}`, Name: 'alive', Status: 'passing', ServiceID: `svc-${s}-${i}` } }));
        if (regs.length >= 32) await Promise.all(regs.splice(0));
      }
    }
    await Promise.all(regs);
    const r = await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: '*', Consumers: Array.from({ length: PEERS }, (_, i) => ({ Peer: `b${i}` })) }] });
    assert.equal(r.status, 200, r.text);
    const want = { services: SERVICES, instances: SERVICES * PER_SERVICE };
    const last = new Map<string, { services: number; instances: number }>();
    try {
      for (let i = 0; i < PEERS; i++) {
        await waitFor(async () => {
          const got = await countOn(`a${i}`);
          last.set(`a${i}`, got);
          return got.services === want.services && got.instances === want.instances ? true : undefined;
        }, `the full export on a${i}`, 90_000);
      }
    } catch (err) {
      for (let i = 0; i < PEERS; i++) if (!last.has(`a${i}`)) last.set(`a${i}`, await countOn(`a${i}`));
      assert.fail(`${(err as Error).message}; want ${JSON.stringify(want)} on every peer, got ${JSON.stringify(Object.fromEntries(last))}`);
    }
  });
});
