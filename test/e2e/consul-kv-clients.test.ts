// KV (and the basics around it) through third-party Consul clients against a real `isthmus agent`:
// the npm `consul` package (node-consul) and Debian's python3-consul, as existing tools use them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Consul from 'consul';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';

type Pair = { Key: string; Value: string | null; Flags: number; ModifyIndex: number; CreateIndex: number };

let agent: AgentProcess;
let consul: Consul;
const dir = tempDir('kv-clients');

before(async () => {
  agent = await startAgent(['--dev', '--node', 'kv-node', '--datacenter', 'kvdc']);
  consul = new Consul({ host: '127.0.0.1', port: agent.port });
});
after(async () => {
  await agent.stop();
  dir.remove();
});

describe('node-consul KV', () => {
  it('sets, gets, lists keys and values, and deletes', async () => {
    assert.equal(await consul.kv.set('node/app/name', 'web'), true);
    assert.equal(await consul.kv.set({ key: 'node/app/port', value: '8080', flags: 7 }), true);
    assert.equal(await consul.kv.set('node/other/x', 'y'), true);
    const one = (await consul.kv.get('node/app/name')) as Pair;
    assert.equal(one.Key, 'node/app/name');
    assert.equal(one.Value, 'web', 'the client decodes the base64 value');
    assert.equal(((await consul.kv.get('node/app/port')) as Pair).Flags, 7);
    assert.equal(await consul.kv.get('node/app/missing'), undefined, 'a miss is "not found", not an error');
    const all = (await consul.kv.get({ key: 'node/app/', recurse: true })) as Pair[];
    assert.deepEqual(
      all.map((p) => [p.Key, p.Value]),
      [
        ['node/app/name', 'web'],
        ['node/app/port', '8080'],
      ],
    );
    assert.deepEqual(await consul.kv.keys({ key: 'node/', separator: '/' }), ['node/app/', 'node/other/']);
    await consul.kv.del('node/app/name');
    assert.equal(await consul.kv.get('node/app/name'), undefined);
    await consul.kv.del({ key: 'node/', recurse: true });
    assert.equal(await consul.kv.get({ key: 'node/', recurse: true }), undefined);
  });

  it('honours check-and-set', async () => {
    assert.equal(await consul.kv.set({ key: 'node/cas', value: 'a', cas: 0 }), true);
    // The server answers `false`; node-consul hands a false body back as undefined.
    assert.notEqual(await consul.kv.set({ key: 'node/cas', value: 'b', cas: 0 }), true);
    assert.equal(((await consul.kv.get('node/cas')) as Pair).Value, 'a', 'a refused CAS writes nothing');
    const cur = (await consul.kv.get('node/cas')) as Pair;
    assert.equal(await consul.kv.set({ key: 'node/cas', value: 'c', cas: cur.ModifyIndex }), true);
    assert.equal(((await consul.kv.get('node/cas')) as Pair).Value, 'c');
  });

  it('wakes a blocking get when the key changes', async () => {
    await consul.kv.set('node/watch', 'one');
    const res = await fetch(`${agent.httpAddr}/v1/kv/node/watch`);
    const index = res.headers.get('x-consul-index') ?? '0';
    const started = Date.now();
    const blocked = consul.kv.get({ key: 'node/watch', index, wait: '15s' } as never) as Promise<Pair>;
    await new Promise((r) => setTimeout(r, 200));
    await consul.kv.set('node/watch', 'two');
    assert.equal((await blocked).Value, 'two');
    assert.ok(Date.now() - started < 14_000, 'answered on the change, not the timeout');
  });

  it('runs a KV transaction', async () => {
    const out = (await consul.transaction.create([
      { KV: { Verb: 'set', Key: 'node/txn/a', Value: Buffer.from('1').toString('base64') } },
      { KV: { Verb: 'get', Key: 'node/txn/a' } },
    ] as never)) as { Results: { KV: Pair }[] };
    assert.equal(out.Results.length, 2);
    assert.equal(out.Results[1]?.KV.Value, Buffer.from('1').toString('base64'));
  });
});

/** Debian's python3-consul lives in the system interpreter. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function python(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(dir.path, `s${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const p = spawn(PYTHON, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('python3-consul', () => {
  it('drives KV: put, get, recurse, keys, cas, delete, blocking get', async () => {
    const r = await python(`
import consul, json, threading, time
c = consul.Consul(host='127.0.0.1', port=${agent.port})
out = {}
out['put'] = c.kv.put('py/app/name', 'web')
out['put_flags'] = c.kv.put('py/app/port', '8080', flags=9)
idx, item = c.kv.get('py/app/name')
out['get'] = [item['Key'], item['Value'].decode(), int(idx) == item['ModifyIndex']]
out['flags'] = c.kv.get('py/app/port')[1]['Flags']
out['missing'] = c.kv.get('py/app/missing')[1]
out['recurse'] = [[p['Key'], p['Value'].decode()] for p in c.kv.get('py/app/', recurse=True)[1]]
out['keys'] = c.kv.get('py/', keys=True, separator='/')[1]
out['cas0_again'] = c.kv.put('py/app/name', 'x', cas=0)
cur = c.kv.get('py/app/name')[1]['ModifyIndex']
out['cas_ok'] = c.kv.put('py/app/name', 'api', cas=cur)
def later():
    time.sleep(0.3)
    c.kv.put('py/app/name', 'changed')
threading.Thread(target=later).start()
start = time.time()
idx2, item2 = c.kv.get('py/app/name', index=c.kv.get('py/app/name')[0], wait='15s')
out['blocked'] = [item2['Value'].decode(), time.time() - start < 14]
out['delete'] = c.kv.delete('py/app/', recurse=True)
out['after_delete'] = c.kv.get('py/app/', recurse=True)[1]
print(json.dumps(out))
`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      put: true,
      put_flags: true,
      get: ['py/app/name', 'web', true],
      flags: 9,
      missing: null,
      recurse: [
        ['py/app/name', 'web'],
        ['py/app/port', '8080'],
      ],
      keys: ['py/app/'],
      cas0_again: false,
      cas_ok: true,
      blocked: ['changed', true],
      delete: true,
      after_delete: null,
    });
  });

  it('drives the agent, catalog and health', async () => {
    const r = await python(`
import consul, json
c = consul.Consul(host='127.0.0.1', port=${agent.port})
out = {}
out['self'] = [c.agent.self()['Config']['Datacenter'], c.agent.self()['Config']['NodeName']]
out['register'] = c.agent.service.register('pyweb', service_id='pyweb-1', port=8081, tags=['py'], check=consul.Check.ttl('30s'))
out['catalog'] = [[s['ServiceID'], s['ServicePort'], s['ServiceTags']] for s in c.catalog.service('pyweb')[1]]
out['services'] = 'pyweb' in c.catalog.services()[1]
out['passing_before'] = len(c.health.service('pyweb', passing=True)[1])
c.agent.check.ttl_pass('service:pyweb-1')
h = c.health.service('pyweb', passing=True)[1]
out['passing_after'] = [e['Service']['ID'] for e in h]
out['deregister'] = c.agent.service.deregister('pyweb-1')
out['gone'] = c.catalog.service('pyweb')[1]
print(json.dumps(out))
`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      self: ['kvdc', 'kv-node'],
      register: true,
      catalog: [['pyweb-1', 8081, ['py']]],
      services: true,
      passing_before: 0,
      passing_after: ['pyweb-1'],
      deregister: true,
      gone: [],
    });
  });
});
