// High availability end to end (issue 15): a 3-member etcd cluster and 3 `isthmus agent` servers
// sharing it (datacenter east), peered with a single-server cluster (west) both ways. Replication
// between servers, leadership, the follower's peer-stream answer, failover after kill -9, and
// acknowledged writes surviving server and etcd-member crashes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectPeer } from '../../src/server/grpc/peer-client.js';
import { FOLLOWER_MESSAGE } from '../../src/server/grpc/leader-status.js';
import { LocalEtcd } from '../../src/store/etcd/local-etcd.js';
import { runCli, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';

type Obj = Record<string, unknown>;
const skip = LocalEtcd.available() ? false : 'etcd is not installed (apt-get install etcd-server)';
const LEASE_TTL_MS = 3_000;
const dir = tempDir('ha');
const cfg = join(dir.path, 'ha.json');
writeFileSync(cfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' }, store: { etcd: { lease_ttl: `${LEASE_TTL_MS / 1000}s` } } }));
const westCfg = join(dir.path, 'west.json');
writeFileSync(westCfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' } }));

let etcd: LocalEtcd;
const servers: (AgentProcess | undefined)[] = [undefined, undefined, undefined];
/** gRPC ports kept across restarts: peers hold these addresses. */
const grpcPorts = ['0', '0', '0'];
let west: AgentProcess;

async function startServer(i: number): Promise<AgentProcess> {
  const a = await startAgent(['--etcd-endpoints', etcd.endpoints.join(','), '--datacenter', 'east', '--node', `s${i}`, '--server-port', String(18300 + i), '--config-file', cfg, '--grpc-tls-port', grpcPorts[i] as string]);
  grpcPorts[i] = a.grpcAddr.split(':')[1] as string;
  servers[i] = a;
  return a;
}
const up = (): AgentProcess[] => servers.filter((s): s is AgentProcess => s !== undefined && s.proc.exitCode === null && s.proc.signalCode === null);

async function call(a: AgentProcess, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; index: number; json: () => unknown }> {
  const r = await fetch(a.httpAddr + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(15_000) });
  const text = await r.text();
  return { status: r.status, text, index: Number(r.headers.get('x-consul-index') ?? 0), json: () => JSON.parse(text) as unknown };
}
const leaderRpc = async (a: AgentProcess): Promise<string> => (await call(a, 'GET', '/v1/status/leader')).json() as string;
/** The server that is leader, as every live server agrees. */
async function leader(timeoutMs = 15_000): Promise<{ server: AgentProcess; index: number }> {
  return waitFor(
    async () => {
      const answers = await Promise.all(up().map((s) => leaderRpc(s).catch(() => '')));
      if (answers.length === 0 || answers[0] === '' || answers.some((x) => x !== answers[0])) return undefined;
      const i = Number((answers[0] as string).split(':')[1]) - 18300;
      const s = servers[i];
      return s && up().includes(s) ? { server: s, index: i } : undefined;
    },
    'one agreed leader',
    timeoutMs,
  );
}
const peering = async (a: AgentProcess, name: string): Promise<Obj | undefined> => {
  const r = await call(a, 'GET', `/v1/peering/${name}`).catch(() => undefined);
  return r?.status === 200 ? (r.json() as Obj) : undefined;
};
const active = (a: AgentProcess, name: string) => async () => ((await peering(a, name))?.State === 'ACTIVE' ? true : undefined);
const names = async (a: AgentProcess, peer: string, svc: string): Promise<string[]> =>
  ((await call(a, 'GET', `/v1/health/service/${svc}?peer=${peer}`)).json() as { Service: { ID: string } }[]).map((e) => e.Service.ID).sort();

before(async () => {
  if (skip) return;
  etcd = await LocalEtcd.start({ members: 3 });
  // One at a time: the first one initialises the cluster (CA, ACL defaults); the others join it.
  await startServer(0);
  await Promise.all([startServer(1), startServer(2), startAgent(['--dev', '--datacenter', 'west', '--node', 'w1', '--config-file', westCfg]).then((w) => (west = w))]);
});

after(async () => {
  await Promise.all([...up().map((s) => s.stop()), west?.stop()]);
  await etcd?.stop();
  dir.remove();
});

describe('three servers on etcd, peered with a second cluster', { skip, timeout: 240_000 }, () => {
  it('agrees on one leader, lists every server, and replicates writes with identical indexes', async () => {
    const { server: l } = await leader();
    const peers = (await call(l, 'GET', '/v1/status/peers')).json() as string[];
    assert.deepEqual(peers, ['127.0.0.1:18300', '127.0.0.1:18301', '127.0.0.1:18302']);
    const [a, b, c] = servers as [AgentProcess, AgentProcess, AgentProcess];
    const before = await call(c, 'GET', '/v1/catalog/service/api');
    const blocked = call(c, 'GET', `/v1/catalog/service/api?index=${before.index}&wait=20s`);
    await new Promise((r) => setTimeout(r, 200));
    const reg = await call(a, 'PUT', '/v1/catalog/register', { Node: 'ext1', Address: '10.1.0.1', Service: { Service: 'api', Port: 9000 } });
    assert.equal(reg.status, 200, reg.text);
    const woke = await blocked;
    assert.equal((woke.json() as unknown[]).length, 1, 'a blocking query on another server woke with the write');
    const views = await Promise.all([a, b, c].map((s) => call(s, 'GET', '/v1/catalog/service/api')));
    assert.deepEqual(
      views.map((v) => v.index),
      [woke.index, woke.index, woke.index],
      'X-Consul-Index is the store revision on every server',
    );
    assert.deepEqual(views[0]?.json(), views[2]?.json());
  });

  it('peers both ways: exports, imports and health changes flow', async () => {
    const { server: l } = await leader();
    const follower = up().find((s) => s !== l) as AgentProcess;
    // HA cluster accepts: the token (made on a follower) lists every server.
    const gen = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', follower.httpAddr]);
    assert.equal(gen.code, 0, gen.stderr);
    const token = JSON.parse(Buffer.from(gen.stdout.trim(), 'base64').toString()) as { ServerAddresses: string[] };
    assert.deepEqual([...token.ServerAddresses].sort(), servers.map((s) => (s as AgentProcess).grpcAddr).sort());
    const est = runCli(['peering', 'establish', '--name', 'east', '--peering-token', gen.stdout.trim(), '--http-addr', west.httpAddr]);
    assert.equal(est.code, 0, est.stderr);
    // HA cluster dials: established through a follower, dialed by the leader.
    const gen2 = runCli(['peering', 'generate-token', '--name', 'eastd', '--http-addr', west.httpAddr]);
    assert.equal(gen2.code, 0, gen2.stderr);
    const est2 = runCli(['peering', 'establish', '--name', 'westd', '--peering-token', gen2.stdout.trim(), '--http-addr', follower.httpAddr]);
    assert.equal(est2.code, 0, est2.stderr);
    await waitFor(active(west, 'east'), 'west→east ACTIVE', 20_000);
    await waitFor(active(follower, 'west'), 'east sees west ACTIVE (asked on a follower)', 20_000);
    await waitFor(active(west, 'eastd'), 'west sees eastd ACTIVE', 20_000);
    await waitFor(active(follower, 'westd'), 'east dialer ACTIVE', 20_000);

    const [a, b, c] = servers as [AgentProcess, AgentProcess, AgentProcess];
    for (const [i, s] of [a, b, c].entries()) {
      const r = await call(s, 'PUT', '/v1/agent/service/register', { ID: `web-${i}`, Name: 'web', Port: 8080 + i, Check: { CheckID: `web-${i}-ttl`, TTL: '10m', Status: 'passing' } });
      assert.equal(r.status, 200, r.text);
    }
    const exp = await call(b, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }, { Peer: 'westd' }] }] });
    assert.equal(exp.status, 200, exp.text);
    const want = ['web-0', 'web-1', 'web-2'];
    await waitFor(async () => (JSON.stringify(await names(west, 'east', 'web')) === JSON.stringify(want) ? true : undefined), 'west imports web from east', 20_000);
    await waitFor(async () => (JSON.stringify(await names(west, 'eastd', 'web')) === JSON.stringify(want) ? true : undefined), 'west imports web over the reverse peering', 20_000);
    // A health change on one server reaches the peer.
    const fail = await call(c, 'PUT', '/v1/agent/check/fail/web-2-ttl?note=down');
    assert.equal(fail.status, 200, fail.text);
    await waitFor(
      async () => {
        const e = ((await call(west, 'GET', '/v1/health/service/web?peer=east&passing')).json() as { Service: { ID: string } }[]).map((x) => x.Service.ID).sort();
        return JSON.stringify(e) === JSON.stringify(['web-0', 'web-1']) ? true : undefined;
      },
      'critical instance filtered on the peer',
      20_000,
    );
  });

  it('answers the peering API and CLI on a follower as on the leader', async () => {
    const { server: l } = await leader();
    for (const f of up().filter((s) => s !== l)) {
      const strip = (p: Obj): Obj => ({ ...p, StreamStatus: { ...(p.StreamStatus as Obj), LastHeartbeat: null, LastReceive: null, LastSend: null } });
      const [onLeader, onFollower] = await Promise.all([peering(l, 'west'), peering(f, 'west')]);
      assert.deepEqual(strip(onFollower as Obj), strip(onLeader as Obj));
      assert.deepEqual(((onFollower as Obj).StreamStatus as Obj).ExportedServices, ['web'], 'live stream status comes from the leader');
      const list = (a: AgentProcess): string => runCli(['peering', 'list', '--http-addr', a.httpAddr]).stdout;
      assert.equal(list(f), list(l));
      const read = runCli(['peering', 'read', '--name', 'west', '--http-addr', f.httpAddr]);
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, /State:\s+ACTIVE/);
    }
  });

  it('a follower refuses StreamResources with FailedPrecondition and the leader’s address', async () => {
    const { server: l } = await leader();
    const f = up().find((s) => s !== l) as AgentProcess;
    const roots = (await call(f, 'GET', '/v1/connect/ca/roots')).json() as { Roots: { RootCert: string }[]; TrustDomain: string };
    const conn = connectPeer(f.grpcAddr, { caPems: roots.Roots.map((r) => r.RootCert), serverName: `server.east.peering.${roots.TrustDomain}` });
    conn.send({ Payload: { case: 'open', value: { PeerID: 'x', StreamSecretID: 'y' } } });
    await assert.rejects(
      (async () => {
        for await (const _ of conn.messages) void _;
      })(),
      (err: Error & { grpcCode?: string; leaderAddress?: string }) => {
        assert.equal(err.grpcCode, 'FAILED_PRECONDITION');
        assert.ok(err.message.includes(FOLLOWER_MESSAGE), err.message);
        assert.equal(err.leaderAddress, l.grpcAddr);
        return true;
      },
    );
    conn.cancel();
  });

  it('kill -9 of the leader: a new leader within the lease TTL, peerings ACTIVE again within 10 s, imports intact', async () => {
    const { server: old, index: oldIndex } = await leader();
    const killedAt = Date.now();
    await old.kill9();
    const { server: next } = await leader(LEASE_TTL_MS + 5_000);
    const electedAfter = Date.now() - killedAt;
    assert.ok(electedAfter <= LEASE_TTL_MS + 2_000, `new leader after ${electedAfter} ms`);
    assert.notEqual(next, old);
    await waitFor(active(west, 'east'), 'west→east ACTIVE again', 10_000);
    await waitFor(active(next, 'west'), 'east (new leader) sees west ACTIVE', 10_000);
    await waitFor(active(west, 'eastd'), 'reverse peering ACTIVE again', 10_000);
    await waitFor(active(next, 'westd'), 'new leader dials west', 10_000);
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed <= 10_000 + LEASE_TTL_MS, `peerings back after ${elapsed} ms`);
    // The killed server's instance is still registered (the catalog is the cluster's, not the server's).
    assert.deepEqual(await names(west, 'east', 'web'), ['web-0', 'web-1', 'web-2']);
    const serf = async (node: string): Promise<string | undefined> =>
      ((await call(next, 'GET', `/v1/health/node/${node}`)).json() as { CheckID: string; Status: string }[]).find((c) => c.CheckID === 'serfHealth')?.Status;
    await waitFor(async () => ((await serf(`s${oldIndex}`)) === 'critical' ? true : undefined), 'the dead server’s serfHealth critical', 10_000);
    await startServer(oldIndex);
    await waitFor(async () => (((await call(next, 'GET', '/v1/status/peers')).json() as string[]).length === 3 ? true : undefined), 'restarted server rejoins', 20_000);
    await waitFor(async () => ((await serf(`s${oldIndex}`)) === 'passing' ? true : undefined), 'the restarted server’s serfHealth passing', 10_000);
  });

  it('keeps every acknowledged write while servers and an etcd member are killed and restarted; no index goes backwards', async () => {
    const acked: string[] = [];
    let stop = false;
    let backwards = '';
    const writer = async (w: number): Promise<void> => {
      let lastIndex = 0;
      for (let n = 0; !stop; n++) {
        const live = up();
        const s = live[(w + n) % live.length];
        if (!s) continue;
        const node = `chaos-${w}-${n}`;
        try {
          const r = await call(s, 'PUT', '/v1/catalog/register', { Node: node, Address: '10.9.0.1' });
          if (r.status !== 200) continue;
          acked.push(node);
          const read = await call(s, 'GET', '/v1/catalog/nodes');
          if (read.status === 200) {
            if (read.index < lastIndex) backwards = `writer ${w}: index ${read.index} after ${lastIndex}`;
            lastIndex = read.index;
          }
        } catch {
          // A server went away mid-request: not acknowledged.
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    await pause(1500);
    await etcd.kill(1); // one etcd member of three: quorum holds
    await pause(1500);
    const victim = 1 + Math.floor(Math.random() * 2);
    await (servers[victim] as AgentProcess).kill9();
    await pause(1500);
    await startServer(victim);
    await etcd.restart(1);
    const { index: l } = await leader();
    await (servers[l] as AgentProcess).kill9();
    await pause(1500);
    await startServer(l);
    await pause(1000);
    stop = true;
    await Promise.all(writers);
    assert.equal(backwards, '', backwards);
    assert.ok(acked.length > 20, `only ${acked.length} writes were acknowledged`);
    const { server } = await leader();
    const stored = new Set(((await call(server, 'GET', '/v1/catalog/nodes')).json() as { Node: string }[]).map((n) => n.Node));
    const lost = acked.filter((n) => !stored.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes are missing`);
    // Every server converges on the same catalog.
    for (const s of up()) {
      await waitFor(async () => {
        const mine = ((await call(s, 'GET', '/v1/catalog/nodes')).json() as { Node: string }[]).map((n) => n.Node);
        return acked.every((n) => mine.includes(n)) ? true : undefined;
      }, 'every server holds every acknowledged write');
    }
  });
});

describe('a server that loses etcd', { skip, timeout: 180_000 }, () => {
  let solo: LocalEtcd;
  const pair: AgentProcess[] = [];
  before(async () => {
    solo = await LocalEtcd.start();
    for (let i = 0; i < 2; i++) {
      pair.push(await startAgent(['--etcd-endpoints', solo.endpoints.join(','), '--datacenter', 'lone', '--node', `l${i}`, '--server-port', String(18400 + i), '--config-file', cfg]));
    }
  });
  after(async () => {
    await Promise.all(pair.map((s) => s.stop()));
    await solo?.stop();
  });

  it('answers writes with a clear 503, steps down, and recovers when etcd is back', async () => {
    const [a, b] = pair as [AgentProcess, AgentProcess];
    await waitFor(async () => ((await leaderRpc(a)) !== '' && (await leaderRpc(a)) === (await leaderRpc(b)) ? true : undefined), 'a leader', 20_000);
    assert.equal((await call(a, 'PUT', '/v1/catalog/register', { Node: 'before', Address: '10.3.0.1' })).status, 200);
    await solo.kill(0);
    const t0 = Date.now();
    const w = await call(b, 'PUT', '/v1/catalog/register', { Node: 'during', Address: '10.3.0.2' });
    assert.equal(w.status, 503, w.text);
    assert.match(w.text, /etcd is unavailable/);
    assert.ok(Date.now() - t0 < 10_000, 'the write failed within the etcd call deadline');
    // Reads keep answering from the last state; no server claims leadership once its lease cannot renew.
    assert.equal((await call(a, 'GET', '/v1/catalog/node/before')).status, 200);
    await waitFor(async () => ((await leaderRpc(a)) === '' && (await leaderRpc(b)) === '' ? true : undefined), 'both step down', LEASE_TTL_MS + 5_000);
    await solo.restart(0);
    await waitFor(async () => ((await leaderRpc(a)) !== '' && (await leaderRpc(a)) === (await leaderRpc(b)) ? true : undefined), 'a leader again', 30_000);
    await waitFor(async () => ((await call(b, 'PUT', '/v1/catalog/register', { Node: 'after', Address: '10.3.0.3' })).status === 200 ? true : undefined), 'writes again', 20_000);
    await waitFor(async () => ((await call(a, 'GET', '/v1/catalog/node/after')).status === 200 ? true : undefined), 'replicated after recovery');
  });
});
