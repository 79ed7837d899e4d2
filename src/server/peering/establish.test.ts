// A refused establish changes nothing (issue 10, class 5): the dialer exchanges the secret first and
// writes the record and secrets only on success; through mesh gateways the provisional record it must
// write first is put back exactly when the exchange fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsthmusError } from '../../lib/errors.js';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService } from '../catalog/service.js';
import { PeeringService, type ExchangeFn } from './service.js';
import { encodeToken, type PeeringToken } from './token.js';
import { StreamTracker } from './tracker.js';
import { TEST_CA_PEM as PEM } from './test-ca.js';


const token = (patch: Partial<PeeringToken> = {}): string =>
  encodeToken({
    CA: [PEM],
    ManualServerAddresses: null,
    ServerAddresses: ['127.0.0.1:8503'],
    ServerName: 'server.east.peering.11111111-2222-3333-4444-555555555555.consul',
    PeerID: '9e8bfc0a-0d5a-4bd2-9d2a-1ad1d6b5e0c6',
    EstablishmentSecret: '5b1b1b1b-0000-4000-8000-000000000000',
    Remote: { Partition: 'default', Datacenter: 'east', Locality: null },
    ...patch,
  });

async function dialerSide(options: { via?: string[] } = {}): Promise<{ peering: PeeringService; store: MemoryStore; setExchange(f: ExchangeFn): void }> {
  const store = new MemoryStore();
  const hub = new IndexHub();
  const catalog = new CatalogService({ store, hub, log: SILENT_LOGGER });
  await catalog.load();
  let exchange: ExchangeFn = async () => 'stream-secret-1';
  const peering = new PeeringService(
    {
      store,
      hub,
      log: SILENT_LOGGER,
      catalog,
      tracker: new StreamTracker(),
      exchange: (t, r) => exchange(t, r),
      tls: () => ({ caPems: [PEM], serverName: 'server.west.peering.aaaaaaaa-2222-3333-4444-555555555555.consul' }),
      serverAddresses: () => ['127.0.0.1:9503'],
      dialVia: () => options.via ?? [],
    },
    { datacenter: 'west' },
  );
  await peering.load();
  return { peering, store, setExchange: (f) => (exchange = f) };
}

const denied: ExchangeFn = async () => {
  throw new IsthmusError('PERMISSION_DENIED', 'invalid peering establishment secret');
};
const unreachable: ExchangeFn = async () => {
  throw new IsthmusError('UNAVAILABLE', 'failed to exchange peering secret through address "127.0.0.1:8503": UNAVAILABLE: connection refused');
};

describe('establish (class 5)', () => {
  it('a wrong secret over a working peering: 403, and the record, secrets and store are untouched', async () => {
    const d = await dialerSide();
    await d.peering.establish({ PeerName: 'east', PeeringToken: token() });
    const before = structuredClone(d.peering.byName('east'));
    const secrets = structuredClone(d.peering.secrets(before?.value.ID ?? ''));
    const revision = await d.store.revision();
    d.setExchange(denied);
    await assert.rejects(
      d.peering.establish({ PeerName: 'east', PeeringToken: token({ PeerID: '00000000-0000-4000-8000-0000000000ff', ServerAddresses: ['127.0.0.2:8503'] }) }),
      (e: IsthmusError) => e.code === 'PERMISSION_DENIED' && e.message === 'rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret',
    );
    assert.deepEqual(d.peering.byName('east'), before, 'PeerID, addresses and indexes unchanged');
    assert.deepEqual(d.peering.secrets(before?.value.ID ?? ''), secrets);
    assert.equal(await d.store.revision(), revision, 'nothing written');
    // What a restart would load is the good record too.
    const raw = await d.store.get(`peering/peer/${before?.value.ID}`);
    assert.equal(JSON.parse(raw?.value ?? '{}').PeerID, '9e8bfc0a-0d5a-4bd2-9d2a-1ad1d6b5e0c6');
  });

  it('a failed exchange for a new name creates no record', async () => {
    const d = await dialerSide();
    d.setExchange(unreachable);
    const revision = await d.store.revision();
    await assert.rejects(d.peering.establish({ PeerName: 'fresh', PeeringToken: token() }), (e: IsthmusError) => e.code === 'UNAVAILABLE');
    assert.equal(d.peering.byName('fresh'), undefined);
    assert.equal(await d.store.revision(), revision);
  });

  it('a successful establish writes record, state and secret together', async () => {
    const d = await dialerSide();
    const revision = await d.store.revision();
    await d.peering.establish({ PeerName: 'east', PeeringToken: token() });
    const rec = d.peering.byName('east')?.value;
    assert.equal(rec?.State, 'ESTABLISHING');
    assert.equal(rec?.PeerID, '9e8bfc0a-0d5a-4bd2-9d2a-1ad1d6b5e0c6');
    assert.deepEqual(d.peering.secrets(rec?.ID ?? ''), { active: 'stream-secret-1' });
    assert.equal(await d.store.revision(), revision + 1, 'one transaction');
  });

  it('through mesh gateways: the provisional record is visible during the exchange and put back after a refusal', async () => {
    const d = await dialerSide({ via: ['127.0.0.1:4431'] });
    await d.peering.establish({ PeerName: 'east', PeeringToken: token() });
    const before = structuredClone(d.peering.byName('east')?.value);
    let seenDuring: string | undefined;
    d.setExchange(async (target, req) => {
      seenDuring = d.peering.byName('east')?.value.PeerServerName;
      assert.deepEqual(target.addresses.slice(0, 1), ['127.0.0.1:4431'], 'gateways first');
      return denied(target, req);
    });
    const other = 'server.east.peering.99999999-2222-3333-4444-555555555555.consul';
    await assert.rejects(d.peering.establish({ PeerName: 'east', PeeringToken: token({ ServerName: other, PeerID: '00000000-0000-4000-8000-0000000000ff' }) }));
    assert.equal(seenDuring, other, 'gateways could route by the new server name during the exchange');
    assert.deepEqual(d.peering.byName('east')?.value, before, 'restored exactly');
    d.setExchange(unreachable);
    await assert.rejects(d.peering.establish({ PeerName: 'brand-new', PeeringToken: token() }));
    assert.equal(d.peering.byName('brand-new'), undefined, 'a provisional new record is removed');
  });
});
