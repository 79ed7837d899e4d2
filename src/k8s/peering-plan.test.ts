import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { planAcceptor, planDialer, type PeeringAction } from './peering-plan.js';
import { FINALIZER, type PeeringCR, type SecretObj } from './types.js';

const cr = (over: Partial<PeeringCR['metadata']> = {}, status?: PeeringCR['status'], secret = { name: 'peering-token', key: 'data', backend: 'kubernetes' }): PeeringCR => ({
  metadata: { name: 'west', namespace: 'default', finalizers: [FINALIZER], resourceVersion: '7', ...over },
  spec: { peer: { secret } },
  ...(status ? { status } : {}),
});
const secret = (rv = '10', data: Record<string, string> = { data: Buffer.from('tok').toString('base64') }): SecretObj => ({ metadata: { name: 'peering-token', namespace: 'default', resourceVersion: rv }, data });
const synced = { conditions: [{ type: 'Synced', status: 'True' as const }], secret: { name: 'peering-token', key: 'data', backend: 'kubernetes' } };
const kinds = (a: PeeringAction[]): string[] => a.map((x) => (x.do === 'deleteSecret' ? `deleteSecret:${x.name}` : x.do === 'fail' ? `fail:${x.reason}:${x.message}` : x.do));
const ACTIVE = { exists: true as const, state: 'ACTIVE' };

describe('PeeringAcceptor plan', () => {
  it('adds the finalizer first, then generates, writes the Secret and records status when there is no peering', () => {
    const p = planAcceptor(cr({ finalizers: [] }), { specSecret: undefined, peering: { exists: false } });
    assert.deepEqual(kinds(p.actions), ['addFinalizer', 'generateToken', 'writeSecret', 'updateStatus']);
    assert.deepEqual(p.actions.find((a) => a.do === 'writeSecret'), { do: 'writeSecret', name: 'peering-token', key: 'data' });
  });

  it('never regenerates while the peering and its Secret exist and status is recorded (no racing regeneration)', () => {
    assert.deepEqual(planAcceptor(cr({}, synced), { specSecret: secret(), peering: ACTIVE }).actions, []);
    assert.deepEqual(planAcceptor(cr({}, synced), { specSecret: secret(), peering: { exists: true, state: 'PENDING' } }).actions, []);
  });

  it('fills in an empty status without regenerating (consul-k8s leaves it empty)', () => {
    const p = planAcceptor(cr(), { specSecret: secret(), peering: ACTIVE });
    assert.deepEqual(kinds(p.actions), ['updateStatus']);
  });

  it('regenerates when the version annotation rises, the Secret is gone or lacks the key, or the key changes', () => {
    const bumped = cr({ annotations: { 'consul.hashicorp.com/peering-version': '2' } }, { ...synced, latestPeeringVersion: 1 });
    const p = planAcceptor(bumped, { specSecret: secret(), peering: ACTIVE });
    assert.deepEqual(kinds(p.actions), ['generateToken', 'writeSecret', 'updateStatus']);
    assert.deepEqual(p.actions.at(-1), { do: 'updateStatus', secret: { name: 'peering-token', key: 'data', backend: 'kubernetes' }, latestPeeringVersion: 2 });
    const same = cr({ annotations: { 'consul.hashicorp.com/peering-version': '2' } }, { ...synced, latestPeeringVersion: 2 });
    assert.deepEqual(planAcceptor(same, { specSecret: secret(), peering: ACTIVE }).actions, []);
    assert.match(planAcceptor(cr({}, synced), { specSecret: undefined, peering: ACTIVE }).why, /secret missing/);
    assert.match(planAcceptor(cr({}, synced), { specSecret: secret('10', {}), peering: ACTIVE }).why, /no key "data"/);
    assert.match(planAcceptor(cr({}, { ...synced, secret: { ...synced.secret, key: 'old' } }), { specSecret: secret(), peering: ACTIVE }).why, /key changed/);
  });

  it('a renamed Secret is regenerated under the new name and the old one deleted', () => {
    const p = planAcceptor(cr({}, { ...synced, secret: { name: 'old-token', key: 'data', backend: 'kubernetes' } }), { specSecret: undefined, peering: ACTIVE });
    assert.deepEqual(kinds(p.actions), ['deleteSecret:old-token', 'generateToken', 'writeSecret', 'updateStatus']);
  });

  it('refuses a bad annotation and a backend change with consul-k8s texts', () => {
    const bad = planAcceptor(cr({ annotations: { 'consul.hashicorp.com/peering-version': 'abc' } }, synced), { specSecret: secret(), peering: ACTIVE });
    assert.deepEqual(kinds(bad.actions), ['fail:internalError:strconv.ParseUint: parsing "abc": invalid syntax']);
    const changed = planAcceptor(cr({}, { ...synced, secret: { ...synced.secret, backend: 'vault' } }), { specSecret: secret(), peering: ACTIVE });
    assert.deepEqual(kinds(changed.actions), ['fail:internalError:PeeringAcceptor backend cannot be changed']);
  });

  it('passes the server-external-addresses annotation to token generation (consul-k8s#2111); refuses a malformed one', () => {
    const ann = (v: string): PeeringCR => cr({ annotations: { 'consul.hashicorp.com/peering-server-external-addresses': v } });
    const p = planAcceptor(ann('lb.example.com:8502, 10.0.0.9:443'), { specSecret: undefined, peering: { exists: false } });
    assert.deepEqual(p.actions[0], { do: 'generateToken', serverExternalAddresses: ['lb.example.com:8502', '10.0.0.9:443'] });
    assert.deepEqual(kinds(planAcceptor(ann('lb.example.com'), { specSecret: undefined, peering: { exists: false } }).actions), [
      'fail:internalError:annotation consul.hashicorp.com/peering-server-external-addresses: "lb.example.com" is not host:port',
    ]);
  });

  it('on deletion deletes the peering, then its Secret, then releases the finalizer (in that order)', () => {
    const p = planAcceptor(cr({ deletionTimestamp: '2026-01-01T00:00:00Z' }, synced), { specSecret: undefined, peering: { exists: false } });
    assert.deepEqual(kinds(p.actions), ['deletePeering', 'deleteSecret:peering-token', 'removeFinalizer']);
    assert.deepEqual(planAcceptor(cr({ deletionTimestamp: 'x', finalizers: [] }), { specSecret: undefined, peering: { exists: false } }).actions, []);
  });
});

describe('PeeringDialer plan', () => {
  it('waits for the Secret with the consul-k8s error', () => {
    assert.deepEqual(kinds(planDialer(cr(), { specSecret: undefined, peering: { exists: false } }).actions), ['fail:internalError:PeeringDialer spec.peer.secret does not exist']);
  });

  it('establishes with the decoded token and records the Secret resourceVersion', () => {
    const p = planDialer(cr({ finalizers: [] }), { specSecret: secret('10'), peering: { exists: false } });
    assert.deepEqual(p.actions, [
      { do: 'addFinalizer' },
      { do: 'establish', token: 'tok' },
      { do: 'updateStatus', secret: { name: 'peering-token', key: 'data', backend: 'kubernetes', resourceVersion: '10' } },
    ]);
  });

  it('re-establishes when the Secret changes, the peering vanished or the version rises; otherwise nothing', () => {
    const st = { ...synced, secret: { ...synced.secret, resourceVersion: '10' } };
    assert.deepEqual(planDialer(cr({}, st), { specSecret: secret('10'), peering: ACTIVE }).actions, []);
    assert.match(planDialer(cr({}, st), { specSecret: secret('11'), peering: ACTIVE }).why, /token secret changed/);
    assert.match(planDialer(cr({}, st), { specSecret: secret('10'), peering: { exists: false } }).why, /no peering/);
    assert.match(planDialer(cr({ annotations: { 'consul.hashicorp.com/peering-version': '1' } }, st), { specSecret: secret('10'), peering: ACTIVE }).why, /raised to 1/);
  });

  it('on deletion deletes the peering and keeps the Secret', () => {
    assert.deepEqual(kinds(planDialer(cr({ deletionTimestamp: 'x' }, synced), { specSecret: undefined, peering: { exists: false } }).actions), ['deletePeering', 'removeFinalizer']);
  });
});
