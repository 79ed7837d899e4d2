import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { covers, matchesServer, toEntry } from './entry-convert.js';
import { planEntry } from './entry-plan.js';
import { CONFIG_KINDS, FINALIZER, type ConfigCR, type CrdKind } from './types.js';

const kind = (k: string): CrdKind => CONFIG_KINDS.find((x) => x.kind === k) as CrdKind;
const sd = (spec: Record<string, unknown>, meta: Partial<ConfigCR['metadata']> = {}, status?: ConfigCR['status']): ConfigCR => ({
  metadata: { name: 'web', namespace: 'default', finalizers: [FINALIZER], ...meta },
  spec,
  ...(status ? { status } : {}),
});
const ours = (e: Record<string, unknown>, dc = 'east'): Record<string, unknown> => ({ ...e, Meta: { 'external-source': 'kubernetes', 'consul.hashicorp.com/source-datacenter': dc }, CreateIndex: 3, ModifyIndex: 4 });

describe('config entry conversion', () => {
  it('turns camelCase specs into Consul entries with owner Meta; opaque maps keep their keys', () => {
    const e = toEntry(kind('ProxyDefaults'), { metadata: { name: 'global', namespace: 'default' }, spec: { meshGateway: { mode: 'local' }, config: { protocol: 'http', envoy_x: 1 } } }, 'east');
    assert.deepEqual(e, { Kind: 'proxy-defaults', Name: 'global', MeshGateway: { Mode: 'local' }, Config: { protocol: 'http', envoy_x: 1 }, Meta: { 'external-source': 'kubernetes', 'consul.hashicorp.com/source-datacenter': 'east' } });
    const ixn = toEntry(kind('ServiceIntentions'), { metadata: { name: 'x', namespace: 'default' }, spec: { destination: { name: 'backend' }, sources: [{ name: 'web', peer: 'west', action: 'allow' }] } }, 'east');
    assert.equal(ixn.Name, 'backend', 'intentions are named after spec.destination.name');
    assert.deepEqual(ixn.Sources, [{ Name: 'web', Peer: 'west', Action: 'allow' }]);
    const res = toEntry(kind('ServiceResolver'), { metadata: { name: 'db', namespace: 'default' }, spec: { failover: { '*': { targets: [{ peer: 'west' }] } }, connectTimeout: '5s' } }, 'east');
    assert.deepEqual(res.Failover, { '*': { Targets: [{ Peer: 'west' }] } });
    const mesh = toEntry(kind('Mesh'), { metadata: { name: 'mesh', namespace: 'default' }, spec: { tls: { incoming: { tlsMinVersion: 'TLSv1_2' } }, http: { sanitizeXForwardedClientCert: true } } }, 'east');
    assert.deepEqual([mesh.TLS, mesh.HTTP], [{ Incoming: { TLSMinVersion: 'TLSv1_2' } }, { SanitizeXForwardedClientCert: true }]);
  });

  it('matching ignores Meta, indexes, server bookkeeping and zero values; durations compare by value', () => {
    assert.ok(matchesServer(ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'http', Mode: '' }), { Kind: 'service-defaults', Name: 'web', Protocol: 'http' }));
    assert.ok(!matchesServer(ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }), { Kind: 'service-defaults', Name: 'web', Protocol: 'http' }));
    assert.ok(!matchesServer(ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'http', ExternalSNI: 'x' }), { Kind: 'service-defaults', Name: 'web', Protocol: 'http' }), 'a field removed from the CR');
    assert.ok(matchesServer({ Kind: 'service-intentions', Name: 'b', Sources: [{ Name: 'w', Action: 'allow', Precedence: 9, Type: 'consul' }] }, { Kind: 'service-intentions', Name: 'b', Sources: [{ Name: 'w', Action: 'allow' }] }));
    assert.ok(covers({ ConnectTimeout: '5000ms' }, { ConnectTimeout: '5s' }));
  });
});

describe('config entry plan', () => {
  const want = { protocol: 'http' };
  it('writes a missing entry, then marks Synced', () => {
    const p = planEntry(kind('ServiceDefaults'), sd(want, { finalizers: [] }), undefined, 'east');
    assert.deepEqual(p.actions.map((a) => a.do), ['addFinalizer', 'write', 'synced']);
  });
  it('refuses an entry written elsewhere: ExternallyManagedConfigError with consul-k8s texts', () => {
    const foreign = planEntry(kind('ServiceDefaults'), sd(want), { Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }, 'east');
    assert.deepEqual(foreign.actions, [{ do: 'synced', status: 'False', reason: 'ExternallyManagedConfigError', message: 'config entry already exists in Consul' }]);
    const otherDc = planEntry(kind('ServiceDefaults'), sd(want), ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }, 'west'), 'east');
    assert.equal((otherDc.actions[0] as { message: string }).message, 'config entry managed in different datacenter: "west"');
  });
  it('migrate-entry: takes ownership of a matching entry; refuses a different one', () => {
    const ann = { annotations: { 'consul.hashicorp.com/migrate-entry': 'true' } };
    const take = planEntry(kind('ServiceDefaults'), sd(want, ann), { Kind: 'service-defaults', Name: 'web', Protocol: 'http' }, 'east');
    assert.deepEqual(take.actions.map((a) => a.do), ['write', 'synced']);
    const refuse = planEntry(kind('ServiceDefaults'), sd(want, ann), { Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }, 'east');
    assert.match((refuse.actions[0] as { message: string }).message, /^migration failed: Kubernetes resource does not match existing Consul config entry: consul=\{.*"Protocol":"tcp".*\}, kube=\{.*"Protocol":"http".*\}$/);
  });
  it('updates our own entry when it differs (a failed update is Synced=Unknown); no-op when in sync', () => {
    const upd = planEntry(kind('ServiceDefaults'), sd(want), ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }), 'east');
    assert.deepEqual(upd.actions[0], { do: 'write', entry: toEntry(kind('ServiceDefaults'), sd(want), 'east'), failPrefix: 'updating config entry in consul', failStatus: 'Unknown' });
    const inSync = planEntry(kind('ServiceDefaults'), sd(want, {}, { conditions: [{ type: 'Synced', status: 'True' }] }), ours({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' }), 'east');
    assert.deepEqual(inSync.actions, []);
  });
  it('deletes only its own entry on deletion, then releases the finalizer', () => {
    const del = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    assert.deepEqual(planEntry(kind('ServiceDefaults'), sd(want, del), ours({ Kind: 'service-defaults', Name: 'web' }), 'east').actions, [{ do: 'delete', kind: 'service-defaults', name: 'web' }, { do: 'removeFinalizer' }]);
    assert.deepEqual(planEntry(kind('ServiceDefaults'), sd(want, del), { Kind: 'service-defaults', Name: 'web' }, 'east').actions, [{ do: 'removeFinalizer' }]);
  });
});
