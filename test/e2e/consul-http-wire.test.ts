// What a real `isthmus agent` puts on the wire, read with a raw socket: Consul's header spelling,
// blocking exported-services, the 501 for unimplemented Consul endpoints, the servers' consul service.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startAgent, type AgentProcess } from '../support/agent-process.js';

let agent: AgentProcess;

before(async () => {
  agent = await startAgent(['--dev', '--node', 'wire-node']);
});
after(async () => {
  await agent.stop();
});

interface RawResponse {
  status: number;
  /** Header lines exactly as sent: [name, value]. */
  headers: [string, string][];
  body: string;
}

/** One HTTP/1.1 request over a plain socket, so header names are seen as sent. */
function raw(method: string, path: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const s = net.connect(agent.port, '127.0.0.1', () => {
      s.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    let data = '';
    s.setTimeout(30_000, () => s.destroy(new Error(`no answer to ${method} ${path}`)));
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('error', reject);
    s.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}
const header = (r: RawResponse, name: string): string | undefined => r.headers.find(([k]) => k === name)?.[1];

describe('isthmus HTTP on the wire', () => {
  it('spells headers as Consul (Go canonical case) and types JSON as application/json', async () => {
    const r = await raw('GET', '/v1/catalog/services');
    assert.equal(r.status, 200);
    const names = r.headers.map(([k]) => k);
    for (const n of ['X-Consul-Index', 'X-Consul-Knownleader', 'X-Consul-Lastcontact', 'X-Consul-Effective-Consistency', 'X-Consul-Query-Backend', 'Content-Type', 'Content-Length']) {
      assert.ok(names.includes(n), `${n} missing from ${names.join(', ')}`);
    }
    assert.ok(names.every((n) => n !== n.toLowerCase()), `lower-case header on the wire: ${names.join(', ')}`);
    assert.equal(header(r, 'Content-Type'), 'application/json');
    assert.equal(header(r, 'X-Consul-Knownleader'), 'true');
    assert.equal(header(r, 'X-Consul-Query-Backend'), 'blocking-query');
    assert.equal(header(r, 'X-Consul-Default-Acl-Policy'), 'allow', 'sent with ACLs off too');
    // The capture of GET /v1/peerings (gRPC-backed in Consul): index meta, no Effective-Consistency.
    const peerings = await raw('GET', '/v1/peerings');
    assert.deepEqual(
      peerings.headers.filter(([k]) => k.startsWith('X-Consul-')),
      [['X-Consul-Index', header(peerings, 'X-Consul-Index') as string], ['X-Consul-Knownleader', 'true'], ['X-Consul-Lastcontact', '0'], ['X-Consul-Query-Backend', 'blocking-query'], ['X-Consul-Default-Acl-Policy', 'allow']],
    );
    assert.equal(peerings.body, '[]');
    assert.equal(header(await raw('GET', '/v1/nope'), 'X-Consul-Default-Acl-Policy'), 'allow', 'errors included');
    const empty = await raw('PUT', '/v1/agent/service/register', JSON.stringify({ Name: 'wire', Port: 1 }));
    assert.equal(empty.status, 200);
    assert.equal(header(empty, 'Content-Length'), '0');
    assert.equal(header(empty, 'Content-Type'), undefined, 'an empty 200 has no Content-Type');
  });

  it('answers Consul endpoints it lacks with 501 saying so, and typos with the 404', async () => {
    const r = await raw('GET', '/v1/session/list');
    assert.equal(r.status, 501);
    assert.equal(r.body, 'Not implemented in Isthmus: GET /v1/session/list\n');
    assert.equal((await raw('PUT', '/v1/operator/keyring')).status, 501);
    const typo = await raw('GET', '/v1/catalog/servicez');
    assert.equal(typo.status, 404);
    assert.equal(typo.body, 'Invalid URL path: not a recognized HTTP API endpoint\n');
  });

  it('registers the consul service for the server: catalog, health, never an agent service', async () => {
    const cat = JSON.parse((await raw('GET', '/v1/catalog/service/consul')).body) as Record<string, unknown>[];
    assert.equal(cat.length, 1);
    assert.equal(cat[0]?.Node, 'wire-node');
    assert.equal(cat[0]?.ServicePort, 8300);
    assert.deepEqual(cat[0]?.ServiceTags, []);
    assert.deepEqual(cat[0]?.ServiceWeights, { Passing: 1, Warning: 1 });
    assert.deepEqual(cat[0]?.ServiceMeta, {
      non_voter: 'false',
      read_replica: 'false',
      raft_version: '3',
      serf_protocol_current: '2',
      serf_protocol_min: '1',
      serf_protocol_max: '5',
      version: '1.22.0',
      grpc_tls_port: agent.grpcAddr.split(':')[1],
    });
    const health = JSON.parse((await raw('GET', '/v1/health/service/consul?passing')).body) as { Checks: { CheckID: string; Status: string; Output: string }[] }[];
    assert.deepEqual(health[0]?.Checks.map((c) => [c.CheckID, c.Status, c.Output]), [['serfHealth', 'passing', 'Agent alive and reachable']]);
    assert.equal('consul' in (JSON.parse((await raw('GET', '/v1/agent/services')).body) as object), false);
    assert.equal((await raw('PUT', '/v1/agent/service/deregister/consul')).status, 404, 'not removable as an agent service');
    const self = JSON.parse((await raw('GET', '/v1/agent/self')).body) as { Config: Record<string, unknown> };
    assert.equal(self.Config.Version, '1.22.0');
    assert.equal(self.Config.IsthmusVersion, '0.1.0');
  });

  it('blocks /v1/exported-services and the UI list on X-Consul-Index until the export changes; consul is never exported', async () => {
    const first = await raw('GET', '/v1/exported-services');
    assert.equal(first.body, '[]');
    const index = Number(header(first, 'X-Consul-Index'));
    assert.ok(index >= 1);
    const ui = await raw('GET', '/v1/internal/ui/exported-services?peer=west');
    const uiIndex = Number(header(ui, 'X-Consul-Index'));
    const t0 = Date.now();
    const timedOut = await raw('GET', `/v1/exported-services?index=${index}&wait=1s`);
    assert.ok(Date.now() - t0 >= 900, 'waited for the change');
    assert.equal(header(timedOut, 'X-Consul-Index'), String(index));
    const blocked = raw('GET', `/v1/exported-services?index=${index}&wait=60s`);
    const blockedUi = raw('GET', `/v1/internal/ui/exported-services?peer=west&index=${uiIndex}&wait=60s`);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const put = await raw('PUT', '/v1/config', JSON.stringify({ Kind: 'exported-services', Name: 'default', Services: [{ Name: '*', Consumers: [{ Peer: 'west' }] }] }));
    assert.equal(put.status, 200, put.body);
    const woke = await blocked;
    assert.ok(Date.now() - started < 20_000, 'woken by the write, not by the wait');
    assert.ok(Number(header(woke, 'X-Consul-Index')) > index);
    assert.deepEqual(JSON.parse(woke.body), [{ Service: 'wire', Consumers: { Peers: ['west'] } }], 'the wildcard exports everything but consul');
    const wokeUi = await blockedUi;
    assert.ok(Number(header(wokeUi, 'X-Consul-Index')) > uiIndex);
    assert.deepEqual((JSON.parse(wokeUi.body) as { Name: string }[]).map((s) => s.Name), ['wire']);
  });
});
