// Export work is proportional to the change, not to the catalog: counted payload builds and sent
// messages (not timing) with 5,000 exported services and five peer sessions on a real catalog.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService } from '../catalog/service.js';
import type { CheckRecord, NodeRecord, ServiceRecord } from '../catalog/types.js';
import { ExportedServiceSchema } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { ExportFeed } from './export-feed.js';
import type { ExportedServiceRule } from './exports.js';
import { URL_EXPORTED_SERVICE, URL_EXPORTED_SERVICE_LIST, URL_TRUST_BUNDLE } from './resources.js';
import { PeerSession, type MessageInit, type SessionDeps } from './session.js';
import type { PeeringService } from './service.js';
import { StreamTracker } from './tracker.js';
import type { PeeringRecord } from './types.js';

const SERVICES = 5_000;
const PEERS = ['p1', 'p2', 'p3', 'p4', 'p5'];
const RULES_TOPIC = 'test|exported-services';

function node(name: string): NodeRecord {
  return { ID: '', Node: name, Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: {}, PeerName: '' };
}
function service(nodeName: string, name: string, id: string, extra: Partial<ServiceRecord> = {}): ServiceRecord {
  return { Node: nodeName, Kind: '', ID: id, Service: name, Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 8080, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '', ...extra };
}
function check(nodeName: string, id: string, svc: ServiceRecord, status: CheckRecord['Status']): CheckRecord {
  return { Node: nodeName, CheckID: id, Name: id, Status: status, Notes: '', Output: '', ServiceID: svc.ID, ServiceName: svc.Service, ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: '' };
}
function record(name: string): PeeringRecord {
  return { ID: `id-${name}`, Name: name, Partition: '', Meta: {}, State: 'ACTIVE', PeerID: '', PeerCAPems: [], PeerServerName: '', PeerServerAddresses: [], ManualServerAddresses: [], Remote: { Partition: '', Datacenter: 'dc2' } } as PeeringRecord;
}

/** What one session sent, decoded: ExportedService resource ID → instance count. */
interface Sent {
  ids: string[];
  instances: Map<string, number>;
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('peering export work is proportional to the change', () => {
  const store = new MemoryStore();
  const hub = new IndexHub();
  const catalog = new CatalogService({ store, hub, log: SILENT_LOGGER });
  let rules: ExportedServiceRule[] = [{ Name: 'svc-*', Consumers: [] }];
  let feed: ExportFeed;
  const sessions: PeerSession[] = [];
  const sent = new Map<string, Sent>();
  const total = (): number => [...sent.values()].reduce((n, s) => n + s.ids.length, 0);
  const setHealth = (i: number, status: CheckRecord['Status']): Promise<number> => {
    const svc = service(`n${i % 50}`, `svc-${i}`, `svc-${i}`);
    return catalog.register({ nodeName: `n${i % 50}`, node: node(`n${i % 50}`), service: svc, checks: [check(`n${i % 50}`, `c-${i}`, svc, status)] });
  };

  before(async () => {
    for (let i = 0; i < SERVICES; i++) await setHealth(i, 'passing');
    await catalog.register({ nodeName: 'n-private', node: node('n-private'), service: service('n-private', 'private', 'private-1'), checks: [] });
    feed = new ExportFeed({ reader: catalog.reader, hub, sourceTopics: [RULES_TOPIC] });
    // Every svc-N is exported to all five peers; `private` is exported to none.
    rules = Array.from({ length: SERVICES }, (_, i) => ({ Name: `svc-${i}`, Consumers: PEERS.map((Peer) => ({ Peer })) }));
    const deps: SessionDeps = {
      peering: {} as PeeringService,
      catalog,
      tracker: new StreamTracker(),
      hub,
      log: SILENT_LOGGER,
      exports: { rules: () => rules, trustBundle: () => ({ TrustDomain: 'td.consul', RootPEMs: ['pem'] }), datacenter: 'dc1', serverAddresses: () => [], topics: [RULES_TOPIC] },
      feed,
    };
    for (const peer of PEERS) {
      const out: Sent = { ids: [], instances: new Map() };
      sent.set(peer, out);
      const transport = {
        send: (m: MessageInit): boolean => {
          const p = m.Payload;
          if (p?.case === 'response' && p.value.ResourceURL === URL_EXPORTED_SERVICE) {
            const id = p.value.ResourceID as string;
            out.ids.push(id);
            const bytes = (p.value.Resource as { value: Uint8Array }).value;
            out.instances.set(id, fromBinary(ExportedServiceSchema, bytes).Nodes.length);
          }
          return true;
        },
        end: () => {},
      };
      const s = new PeerSession(deps, transport, { role: 'acceptor', record: record(peer) });
      sessions.push(s);
      for (const url of [URL_EXPORTED_SERVICE, URL_EXPORTED_SERVICE_LIST, URL_TRUST_BUNDLE]) {
        await s.receive({ Payload: { case: 'request', value: { ResourceURL: url, PeerID: '', ResponseNonce: '' } } } as never);
      }
    }
    await until(() => total() === SERVICES * PEERS.length, 'the initial export to every peer');
    await turns(5);
  });

  after(async () => {
    for (const s of sessions) s.end();
    await store.close();
  });

  it('sends every exported service once to each peer at start, building each payload once for all peers', () => {
    for (const s of sent.values()) assert.equal(s.ids.length, SERVICES);
    assert.equal(feed.counters.payloadBuilds, SERVICES, 'one build per service, shared by the five peerings');
  });

  it('one health change builds exactly one payload and sends exactly one message per peer', async () => {
    const builds = feed.counters.payloadBuilds;
    const examined = feed.counters.examined;
    const before = total();
    await setHealth(1234, 'critical');
    await until(() => total() === before + PEERS.length, 'the change on every peer');
    await turns(5);
    assert.equal(feed.counters.payloadBuilds - builds, 1);
    assert.equal(feed.counters.examined - examined, PEERS.length, 'each session looked at the one service that moved');
    assert.equal(total() - before, PEERS.length);
    for (const s of sent.values()) assert.equal(s.ids.at(-1), 'svc-1234');
  });

  it('a write to a service exported to nobody builds nothing and sends nothing', async () => {
    const builds = feed.counters.payloadBuilds;
    const examined = feed.counters.examined;
    const before = total();
    await catalog.register({ nodeName: 'n-private', node: node('n-private'), service: service('n-private', 'private', 'private-2'), checks: [] });
    await catalog.register({ nodeName: 'n-other', node: node('n-other'), service: service('n-other', 'brand-new', 'brand-new-1'), checks: [] });
    await turns(20);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(feed.counters.payloadBuilds - builds, 0);
    assert.equal(feed.counters.examined - examined, 0, 'no session woke up for it');
    assert.equal(total(), before);
  });

  it('an unchanged rewrite builds nothing; a burst of changes to one service sends at most what moved', async () => {
    const builds = feed.counters.payloadBuilds;
    const before = total();
    await setHealth(1234, 'critical'); // same state: the catalog writes nothing
    await turns(20);
    assert.equal(feed.counters.payloadBuilds - builds, 0);
    assert.equal(total(), before);
    await Promise.all([setHealth(7, 'warning'), setHealth(8, 'warning')]);
    await until(() => total() >= before + 2 * PEERS.length, 'both changes on every peer');
    await turns(5);
    assert.equal(feed.counters.payloadBuilds - builds, 2);
  });

  it('a rule change that unexports a service retracts it (empty payload) without rebuilding the others', async () => {
    const builds = feed.counters.payloadBuilds;
    const before = total();
    rules = rules.filter((r) => r.Name !== 'svc-42');
    hub.bump([RULES_TOPIC], (await store.revision()) + 1);
    await until(() => total() === before + PEERS.length, 'the retraction on every peer');
    await turns(5);
    for (const s of sent.values()) {
      assert.equal(s.ids.at(-1), 'svc-42');
      assert.equal(s.instances.get('svc-42'), 0);
    }
    assert.equal(total() - before, PEERS.length, 'the other 4,999 services are not re-sent');
    // Rules moved, so each session re-checks its services, but their payloads come from the shared cache.
    assert.equal(feed.counters.payloadBuilds - builds, 0);
  });
});
