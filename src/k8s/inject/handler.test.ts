import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admitPod } from './handler.js';
import type { InjectSettings } from './plan.js';

const S: InjectSettings = { image: 'i', serverAddr: 'http://s:8500', defaultInject: false, tproxyDefault: true };
const pod = (annotations: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns1', annotations }, spec: { containers: [{ name: 'app' }] } });

describe('admitPod', () => {
  it('answers a JSON patch for an annotated pod, reading the namespace label only when the pod leaves tproxy to it', async () => {
    const asked: string[] = [];
    const labels = async (ns: string): Promise<Record<string, string>> => {
      asked.push(ns);
      return { 'consul.hashicorp.com/transparent-proxy': 'false' };
    };
    const v = await admitPod({ uid: 'u', operation: 'CREATE', namespace: 'ns1', object: pod({ 'consul.hashicorp.com/connect-inject': 'true' }) }, S, labels);
    assert.equal(v.allowed, true);
    assert.deepEqual(asked, ['ns1']);
    const ops = v.patch as { op: string; path: string; value?: unknown }[];
    assert.ok(ops.some((o) => o.op === 'add' && o.path === '/spec/containers/0' && (o.value as { name: string }).name === 'consul-dataplane'));
    assert.ok(ops.some((o) => o.op === 'add' && o.path === '/metadata/annotations/consul.hashicorp.com~1connect-inject-status' && o.value === 'injected'));
    assert.ok(!ops.some((o) => o.path.includes('transparent-proxy-status')), 'the namespace label turned tproxy off');
    const own = await admitPod({ uid: 'u', operation: 'CREATE', namespace: 'ns1', object: pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/transparent-proxy': 'true' }) }, S, labels);
    assert.deepEqual(asked, ['ns1'], 'not read again');
    assert.ok((own.patch as { path: string }[]).some((o) => o.path.includes('transparent-proxy-status')));
  });

  it('refuses bad annotations with 400, leaves other pods and operations alone, never throws', async () => {
    const none = async (): Promise<Record<string, string>> => ({});
    const bad = await admitPod({ uid: 'u', operation: 'CREATE', object: pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service-upstreams': 'x.svc.y:1' }) }, S, none);
    assert.deepEqual([bad.allowed, bad.code, bad.message], [false, 400, 'upstream structured incorrectly: x.svc.y:1']);
    const plain = await admitPod({ uid: 'u', operation: 'CREATE', object: pod({}) }, S, none);
    assert.deepEqual([plain.allowed, plain.patch], [true, undefined]);
    const update = await admitPod({ uid: 'u', operation: 'UPDATE', object: pod({ 'consul.hashicorp.com/connect-inject': 'true' }) }, S, none);
    assert.deepEqual([update.allowed, update.patch], [true, undefined]);
    const junk = await admitPod({ uid: 'u', operation: 'CREATE', object: 'not a pod' }, S, none);
    assert.deepEqual([junk.allowed, junk.code], [false, 400]);
    const broken = await admitPod({ uid: 'u', operation: 'CREATE', object: pod({ 'consul.hashicorp.com/connect-inject': 'true' }) }, S, async () => {
      throw new Error('namespaces "ns1" is forbidden');
    });
    assert.deepEqual([broken.allowed, broken.code], [false, 500]);
    assert.match(broken.message, /namespaces "ns1" is forbidden/);
  });
});
