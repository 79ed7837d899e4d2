// A real `isthmus agent` driven by Debian's python3-consul (catalog, health, agent), as existing scripts do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { pythonConsulAvailable, runPythonConsul } from '../support/python-consul.js';

const SKIP = pythonConsulAvailable() ? false : 'python3-consul is not installed';
let agent: AgentProcess;

before(async () => {
  if (!SKIP) agent = await startAgent(['--dev', '--node', 'py-node', '--datacenter', 'dc1']);
});
after(async () => {
  if (!SKIP) await agent.stop();
});

type Obj = Record<string, unknown>;

describe('python3-consul against isthmus agent', { skip: SKIP }, () => {
  it('reads agent/self (the Consul version it follows), members and the servers’ consul service', () => {
    const out = runPythonConsul(
      agent.port,
      `
self = c.agent.self()
idx, servers = c.catalog.service('consul')
idx2, health = c.health.service('consul', passing=True)
print(json.dumps({'version': self['Config']['Version'], 'isthmus': self['Config'].get('IsthmusVersion'), 'node': self['Config']['NodeName'],
  'members': [m['Name'] for m in c.agent.members()], 'index': idx, 'servers': servers,
  'healthy': [[h['Node']['Node'], [x['CheckID'] for x in h['Checks']]] for h in health],
  'agent_services': list(c.agent.services().keys())}))
`,
    ) as Obj;
    assert.equal(out.version, '1.22.0');
    assert.equal(out.isthmus, '0.1.0');
    assert.equal(out.node, 'py-node');
    assert.deepEqual(out.members, ['py-node']);
    assert.match(String(out.index), /^\d+$/);
    const [server] = out.servers as Obj[];
    assert.equal(server?.Node, 'py-node');
    assert.equal(server?.ServicePort, 8300);
    assert.equal(server?.ServiceID, 'consul');
    const meta = server?.ServiceMeta as Record<string, string>;
    assert.equal(meta.version, '1.22.0');
    assert.equal(meta.grpc_tls_port, agent.grpcAddr.split(':')[1]);
    assert.equal(meta.raft_version, '3');
    assert.deepEqual(out.healthy, [['py-node', ['serfHealth']]]);
    assert.deepEqual(out.agent_services, [], 'the consul service is catalog-only, not an agent service');
  });

  it('registers a service with a TTL check, passes it, and reads it through catalog and health', () => {
    const out = runPythonConsul(
      agent.port,
      `
ok = c.agent.service.register('pyweb', service_id='pyweb-1', port=8080, tags=['py'], check=consul.Check.ttl('30s'))
idx, before = c.health.service('pyweb', passing=True)
c.agent.check.ttl_pass('service:pyweb-1', notes='fine')
idx, after = c.health.service('pyweb', passing=True)
idx, services = c.catalog.services()
idx, nodes = c.catalog.service('pyweb', tag='py')
idx, node = c.catalog.node('py-node')
idx, checks = c.health.checks('pyweb')
idx, passing = c.health.state('passing')
idx, node_checks = c.health.node('py-node')
print(json.dumps({'ok': ok, 'before': len(before), 'after': [[a['Service']['ID'], [x['Status'] for x in a['Checks']]] for a in after],
  'services': services, 'ports': [n['ServicePort'] for n in nodes], 'node_services': sorted(node['Services'].keys()),
  'checks': [[x['CheckID'], x['Status'], x['Output']] for x in checks], 'passing': sorted(x['CheckID'] for x in passing),
  'node_checks': sorted(x['CheckID'] for x in node_checks), 'agent_checks': c.agent.checks()['service:pyweb-1']['Status']}))
`,
    ) as Obj;
    assert.equal(out.ok, true);
    assert.equal(out.before, 0, 'a new TTL check starts critical');
    assert.deepEqual(out.after, [['pyweb-1', ['passing', 'passing']]]);
    assert.deepEqual(out.services, { consul: [], pyweb: ['py'] });
    assert.deepEqual(out.ports, [8080]);
    assert.deepEqual(out.node_services, ['consul', 'pyweb-1']);
    assert.deepEqual(out.checks, [['service:pyweb-1', 'passing', 'fine']]);
    assert.deepEqual(out.passing, ['serfHealth', 'service:pyweb-1']);
    assert.deepEqual(out.node_checks, ['serfHealth', 'service:pyweb-1']);
    assert.equal(out.agent_checks, 'passing');
  });

  it('blocks on an index until a change, then deregisters', () => {
    const out = runPythonConsul(
      agent.port,
      `
import threading, time
idx, s1 = c.catalog.services()
t0 = time.time()
same, s2 = c.catalog.services(index=idx, wait='1s')
waited = time.time() - t0
def later():
    time.sleep(0.5)
    consul.Consul(host='127.0.0.1', port=${agent.port}).agent.service.register('late', service_id='late-1', port=9)
threading.Thread(target=later).start()
t0 = time.time()
moved, services = c.catalog.services(index=idx, wait='30s')
woke = time.time() - t0
c.agent.service.deregister('late-1')
c.agent.service.deregister('pyweb-1')
_, gone = c.health.service('pyweb')
print(json.dumps({'idx': int(idx), 'same': int(same), 'waited': waited, 'moved': int(moved), 'woke': woke, 'late': 'late' in services, 'gone': gone, 's1': s1, 's2': s2}))
`,
    ) as { idx: number; same: number; waited: number; moved: number; woke: number; late: boolean; gone: unknown[] };
    assert.equal(out.same, out.idx, `a timed-out blocking query returns the same index: ${JSON.stringify(out)}`);
    assert.ok(out.waited >= 0.9, `waited ${out.waited}s`);
    assert.ok(out.moved > out.idx);
    assert.ok(out.woke < 20, `woke after ${out.woke}s`);
    assert.equal(out.late, true);
    assert.deepEqual(out.gone, []);
  });

  it('gets a clear error for a Consul endpoint Isthmus does not implement', () => {
    const out = runPythonConsul(
      agent.port,
      `
try:
    c.session.list()
    print(json.dumps({'error': None}))
except consul.ConsulException as e:
    print(json.dumps({'error': str(e)}))
`,
    ) as { error: string | null };
    assert.match(String(out.error), /^501 Not implemented in Isthmus: GET \/v1\/session\/list/);
  });
});
