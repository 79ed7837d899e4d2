// The importer's own ExportedService decoder reads exactly what the generic protobuf decoder reads:
// random instances (with the fields it skips, negative numbers, odd map keys, unicode) through both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { ExportedServiceSchema } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { decodeExportedService } from './import-decode.js';
import { fromWire } from './resources.js';

const str = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('passing', 'critical', 'web', '__proto__', 'toString', 'zone'), fc.string({ unit: 'grapheme', maxLength: 6 }));
const map = fc.dictionary(str, str, { maxKeys: 3 });
const int = fc.integer({ min: -2_147_483_648, max: 2_147_483_647 });
const raft = fc.option(fc.record({ CreateIndex: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), ModifyIndex: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }), { nil: undefined });
const locality = fc.option(fc.record({ Region: str, Zone: str }), { nil: undefined });
const nonEmpty = fc.string({ minLength: 1, maxLength: 10 });

const instance = fc.record({
  Node: fc.record({ ID: str, Node: nonEmpty, Address: str, Datacenter: str, TaggedAddresses: map, Meta: map, RaftIndex: raft, Partition: str, PeerName: str, Locality: locality }),
  Service: fc.record({
    Kind: str,
    ID: nonEmpty,
    Service: str,
    Tags: fc.array(str, { maxLength: 3 }),
    Address: str,
    Meta: map,
    Port: int,
    Weights: fc.option(fc.record({ Passing: int, Warning: int }), { nil: undefined }),
    EnableTagOverride: fc.boolean(),
    Proxy: fc.option(fc.record({ DestinationServiceName: str, DestinationServiceID: str }), { nil: undefined }),
    Connect: fc.option(fc.record({ Native: fc.boolean(), PeerMeta: fc.option(fc.record({ SNI: fc.array(str, { maxLength: 2 }), SpiffeID: fc.array(str, { maxLength: 2 }), Protocol: str }), { nil: undefined }) }), { nil: undefined }),
    RaftIndex: raft,
    TaggedAddresses: fc.dictionary(str, fc.record({ Address: str, Port: int }), { maxKeys: 3 }),
    EnterpriseMeta: fc.option(fc.record({ Partition: str, Namespace: str }), { nil: undefined }),
    SocketPath: str,
    PeerName: str,
    Locality: locality,
  }),
  Checks: fc.array(
    fc.record({ Node: str, CheckID: str, Name: str, Status: str, Notes: str, Output: str, ServiceID: str, ServiceName: str, ServiceTags: fc.array(str, { maxLength: 2 }), RaftIndex: raft, Type: str, ExposedPort: int, Interval: str, Timeout: str, PeerName: str }),
    { maxLength: 3 },
  ),
});

describe('decodeExportedService', () => {
  it('gives fromWire the same fields as the generic decoder', () => {
    fc.assert(
      fc.property(fc.array(instance, { maxLength: 4 }), (nodes) => {
        const bytes = toBinary(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: nodes as never }));
        const generic = fromBinary(ExportedServiceSchema, bytes).Nodes.map((n) => fromWire(n, 'east'));
        const own = decodeExportedService(bytes).map((n) => fromWire(n, 'east'));
        assert.deepStrictEqual(own, generic);
      }),
      { numRuns: 300 },
    );
  });

  it('an empty payload is no instances; a truncated one is an error, not a partial import', () => {
    assert.deepEqual(decodeExportedService(new Uint8Array()), []);
    const bytes = toBinary(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: [{ Node: { Node: 'n1' }, Service: { ID: 'web-1', Service: 'web' }, Checks: [] }] }));
    assert.equal(decodeExportedService(bytes).length, 1);
    for (let cut = 1; cut < bytes.length; cut++) assert.throws(() => decodeExportedService(bytes.subarray(0, cut)), `cut at ${cut}`);
  });
});
