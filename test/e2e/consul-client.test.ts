// A real `isthmus agent` process driven by the third-party `consul` npm client, as existing tools do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Consul from 'consul';
import { startAgent, waitFor, type AgentProcess } from '../support/agent-process.js';

type Obj = Record<string, unknown>;

let agent: AgentProcess;
let consul: Consul;

before(async () => {
  agent = await startAgent(['--dev', '--node', 'e2e-node', '--datacenter', 'east']);
  consul = new Consul({ host: '127.0.0.1', port: agent.port });
});
after(async () => {
  await agent.stop();
});

describe('the consul npm client against isthmus agent', () => {
  it('reads the agent identity and leader', async () => {
    const self = (await consul.agent.self()) as { Config: Obj };
    assert.equal(self.Config.Datacenter, 'east');
    assert.equal(self.Config.NodeName, 'e2e-node');
    assert.match(String(await consul.status.leader()), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(await consul.catalog.datacenters(), ['east']);
  });

  it('registers a service with a TTL check and reads it back through catalog and health', async () => {
    await consul.agent.service.register({ name: 'payments', id: 'payments-1', port: 7000, tags: ['blue'], check: { ttl: '30s', notes: 'heartbeat' } } as never);
    const services = (await consul.catalog.service.list()) as Record<string, string[]>;
    assert.deepEqual(services.payments, ['blue']);
    const nodes = (await consul.catalog.service.nodes('payments')) as Obj[];
    assert.equal(nodes.length, 1);
    assert.equal(nodes[0]?.ServicePort, 7000);
    assert.equal(nodes[0]?.Node, 'e2e-node');
    const critical = (await consul.health.service({ service: 'payments', passing: true })) as Obj[];
    assert.deepEqual(critical, [], 'a new TTL check is critical, so nothing is passing yet');
  });

  it('passes the TTL check and sees the instance become healthy', async () => {
    await consul.agent.check.pass({ id: 'service:payments-1', note: 'fine' });
    const healthy = (await consul.health.service({ service: 'payments', passing: true })) as { Service: Obj; Checks: Obj[] }[];
    assert.equal(healthy.length, 1);
    assert.equal(healthy[0]?.Service.ID, 'payments-1');
    const check = healthy[0]?.Checks.find((c) => c.CheckID === 'service:payments-1');
    assert.equal(check?.Status, 'passing');
    assert.equal(check?.Output, 'fine');
    const checks = (await consul.health.checks('payments')) as unknown as Obj[];
    assert.equal(checks.length, 1);
    const byState = (await consul.health.state('passing')) as unknown as Obj[];
    assert.ok(byState.some((c) => c.CheckID === 'service:payments-1'));
    const nodeChecks = (await consul.health.node('e2e-node')) as unknown as Obj[];
    assert.deepEqual(nodeChecks.map((c) => c.CheckID).sort(), ['serfHealth', 'service:payments-1']);
  });

  it('wakes a blocking health query when the check fails', async () => {
    const res = await fetch(`${agent.httpAddr}/v1/health/service/payments`);
    const index = Number(res.headers.get('x-consul-index'));
    const started = Date.now();
    const blocked = consul.health.service({ service: 'payments', index: String(index), wait: '10s' } as never) as Promise<{ Checks: Obj[] }[]>;
    await new Promise((r) => setTimeout(r, 200));
    await consul.agent.check.fail({ id: 'service:payments-1', note: 'down' });
    const after = await blocked;
    assert.ok(Date.now() - started < 9000, 'returned on the change, not the timeout');
    assert.equal(after[0]?.Checks.find((c) => c.CheckID === 'service:payments-1')?.Status, 'critical');
  });

  it('lists agent services and checks and deregisters', async () => {
    const list = (await consul.agent.service.list()) as Record<string, Obj>;
    assert.equal(list['payments-1']?.Service, 'payments');
    const checks = (await consul.agent.check.list()) as unknown as Record<string, Obj>;
    assert.equal(checks['service:payments-1']?.Status, 'critical');
    await consul.agent.service.deregister('payments-1');
    await waitFor(async () => (((await consul.catalog.service.nodes('payments')) as Obj[]).length === 0 ? true : undefined), 'deregistration');
  });

  it('surfaces the server message for a refused registration', async () => {
    await assert.rejects(
      consul.agent.service.register({ name: 'bad', address: '0.0.0.0' }),
      (err: Error) => /Invalid service address/.test(err.message),
    );
  });

  it('registers through the catalog endpoint and reads a node', async () => {
    await consul.catalog.register({ node: 'external-1', address: '192.0.2.10', service: { service: 'legacy', port: 25 } } as never);
    const node = (await consul.catalog.node.services('external-1')) as { Node: Obj; Services: Record<string, Obj> };
    assert.equal(node.Node.Address, '192.0.2.10');
    assert.equal(node.Services.legacy?.Port, 25);
    await consul.catalog.deregister({ node: 'external-1' } as never);
    const nodes = (await consul.catalog.node.list()) as Obj[];
    assert.deepEqual(
      nodes.map((n) => n.Node),
      ['e2e-node'],
    );
  });

  it('finds the servers through the consul service and reads the Consul version it follows', async () => {
    const self = (await consul.agent.self()) as { Config: Obj };
    assert.equal(self.Config.Version, '1.22.0');
    const servers = (await consul.catalog.service.nodes('consul')) as Obj[];
    assert.deepEqual(servers.map((s) => [s.Node, s.ServicePort]), [['e2e-node', 8300]]);
    assert.equal((servers[0]?.ServiceMeta as Record<string, string>).grpc_tls_port, agent.grpcAddr.split(':')[1]);
    const healthy = (await consul.health.service({ service: 'consul', passing: true })) as { Node: Obj }[];
    assert.deepEqual(healthy.map((h) => h.Node.Node), ['e2e-node']);
    assert.equal('consul' in ((await consul.agent.service.list()) as Obj), false);
  });

  it('gets a clear error from a Consul endpoint Isthmus does not implement', async () => {
    await assert.rejects(consul.session.list(), (err: Error) => err.message === 'Not implemented in Isthmus: GET /v1/session/list\n');
  });
});
