// The acceptor's peer stream under hostile clients over real gRPC/TLS (issue 10, classes 6 and 7, and
// the fuzz tier for the first message): protocol errors end with INVALID_ARGUMENT, oversized fields
// from an unauthenticated peer are refused at once with a short status and a short log line, and no
// first message — whatever it holds — stores anything or ends without an error status.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { PeerStreamService, type ReplicationMessage } from '../../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { createLogger } from '../../../lib/log.js';
import { MemoryStore } from '../../../store/memory/memory-store.js';
import { Agent } from '../../agent.js';
import { flattenConfigFile, resolveAgentConfig } from '../../config/load.js';
import type { MessageInit } from '../../peering/session.js';
import { serviceDefinition } from '../codec.js';
import { MAX_STATUS_DETAILS } from '../status.js';
import { OPEN_LIMITS } from './open-limits.js';

const def = serviceDefinition(PeerStreamService);
const Client = grpc.makeGenericClientConstructor(def, 'PeerStreamService');
const STATUS_WITHIN_MS = 5_000;

let agent: Agent;
const store = new MemoryStore();
let logText = '';
let client: InstanceType<typeof Client>;

before(async () => {
  const log = createLogger({ level: 'debug', destination: new Writable({ write: (c: Buffer, _e, cb) => ((logText += c.toString()), cb()) }) });
  const config = resolveAgentConfig({ flags: { dev: true, node: 'acceptor', 'http-port': '0', 'grpc-tls-port': '0', 'dns-port': '0' }, file: flattenConfigFile({}, 'test') });
  agent = await Agent.create(config, { log, store });
  await agent.start({ listen: true });
  const { host, port } = agent.addresses.grpcTls;
  client = new Client(`${host}:${port}`, grpc.credentials.createSsl(Buffer.from(agent.ca.rootPems().join('\n'))), {
    'grpc.ssl_target_name_override': agent.grpc.serverName,
    'grpc.default_authority': agent.grpc.serverName,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
});
after(async () => {
  client.close();
  await agent.stop();
});

type Status = { code: number; details: string };

/** Opens a stream, writes `messages`, resolves with the final status (fails the test if none comes in time). */
function streamStatus(messages: MessageInit[], keepOpen = true): Promise<{ status: Status; received: ReplicationMessage[]; ms: number }> {
  const started = Date.now();
  const call = client.makeBidiStreamRequest(def.streamResources!.path, def.streamResources!.requestSerialize, def.streamResources!.responseDeserialize as (b: Buffer) => ReplicationMessage);
  const received: ReplicationMessage[] = [];
  call.on('data', (m: ReplicationMessage) => received.push(m));
  call.on('error', () => {});
  const done = new Promise<{ status: Status; received: ReplicationMessage[]; ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      call.cancel();
      reject(new Error(`no status within ${STATUS_WITHIN_MS} ms`));
    }, STATUS_WITHIN_MS);
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ status: { code: s.code, details: s.details }, received, ms: Date.now() - started });
    });
  });
  for (const m of messages) call.write(m);
  if (!keepOpen) call.end();
  return done;
}

function exchange(req: { PeerID: string; EstablishmentSecret: string }): Promise<{ StreamSecret: string }> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.exchangeSecret!.path, def.exchangeSecret!.requestSerialize, def.exchangeSecret!.responseDeserialize as (b: Buffer) => { StreamSecret: string }, req, (err, v) =>
      err ? reject(err) : resolve(v as { StreamSecret: string }),
    );
  });
}

/** A real peering on the agent: its ID and an active stream secret. */
async function peeringWithSecret(name: string): Promise<{ id: string; secret: string }> {
  const token = await agent.peering.generateToken({ PeerName: name });
  const t = JSON.parse(Buffer.from(token, 'base64').toString()) as { PeerID: string; EstablishmentSecret: string };
  const { StreamSecret } = await exchange({ PeerID: t.PeerID, EstablishmentSecret: t.EstablishmentSecret });
  return { id: t.PeerID, secret: StreamSecret };
}

const open = (PeerID: string, StreamSecretID: string): MessageInit => ({ Payload: { case: 'open', value: { PeerID, StreamSecretID, Remote: { Partition: 'default', Datacenter: 'dc-x' } } } });
const waitDisconnected = async (id: string): Promise<void> => {
  for (let i = 0; i < 100 && agent.peering.tracker.isConnected(id); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('peer stream protocol errors (class 6)', () => {
  it('a subscription to an unknown ResourceURL ends with INVALID_ARGUMENT and the spec text', async () => {
    const p = await peeringWithSecret('unknown-url');
    const url = 'type.googleapis.com/hashicorp.consul.internal.peerstream.Nope';
    const { status } = await streamStatus([open(p.id, p.secret), { Payload: { case: 'request', value: { ResourceURL: url } } }]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT, status.details);
    assert.equal(status.details, `subscription request to unknown resource URL: ${url}`);
    await waitDisconnected(p.id);
  });

  it('a second Open ends with INVALID_ARGUMENT', async () => {
    const p = await peeringWithSecret('second-open');
    const { status } = await streamStatus([open(p.id, p.secret), open(p.id, p.secret)]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT, status.details);
    assert.match(status.details, /Open/);
    await waitDisconnected(p.id);
  });

  it('a first message that is not an Open ends with INVALID_ARGUMENT and the spec text', async () => {
    const { status } = await streamStatus([{ Payload: { case: 'heartbeat', value: {} } }]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(status.details, 'first message when initiating a peering must be: Open');
  });

  it('a wrong secret ends with PERMISSION_DENIED', async () => {
    const p = await peeringWithSecret('wrong-secret');
    const { status } = await streamStatus([open(p.id, '00000000-0000-4000-8000-000000000000')]);
    assert.equal(status.code, grpc.status.PERMISSION_DENIED);
    assert.equal(status.details, 'invalid peering stream secret');
  });
});

describe('unauthenticated sizes (class 7)', () => {
  it('an Open with a 1 MiB PeerID is refused at once, with a short status and a short log line', async () => {
    const logBefore = logText.length;
    const { status, ms } = await streamStatus([open('p'.repeat(1024 * 1024), 's')]);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, status.details);
    assert.match(status.details, /over the 16384-byte limit before authentication/);
    assert.ok(ms < STATUS_WITHIN_MS);
    const logged = logText.slice(logBefore);
    assert.ok(logged.length < 4096, `logged ${logged.length} characters`);
  });

  it('an Open with a PeerID just over the field limit is refused with INVALID_ARGUMENT', async () => {
    const { status } = await streamStatus([open('p'.repeat(OPEN_LIMITS.idChars + 1), 's')]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(status.details, `initial subscription request PeerID is too long (limit: ${OPEN_LIMITS.idChars} characters)`);
    const remote = await streamStatus([{ Payload: { case: 'open', value: { PeerID: 'x', StreamSecretID: 'y', Remote: { Datacenter: 'd'.repeat(500) } } } }]);
    assert.equal(remote.status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(remote.status.details, /Remote\.Datacenter is too long/);
  });

  it('an unknown PeerID is echoed only within the status size bound', async () => {
    const id = 'u'.repeat(OPEN_LIMITS.idChars);
    const { status } = await streamStatus([open(id, 's')]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(status.details, `initial subscription for unknown PeerID: ${id}`);
  });

  it('ExchangeSecret with oversized fields is refused at once and stores nothing', async () => {
    const revision = await store.revision();
    for (const req of [{ PeerID: 'x'.repeat(1024 * 1024), EstablishmentSecret: 'y' }, { PeerID: 'x', EstablishmentSecret: 'y'.repeat(OPEN_LIMITS.idChars + 1) }]) {
      await assert.rejects(exchange(req), (e: grpc.ServiceError) => {
        assert.ok(e.code === grpc.status.RESOURCE_EXHAUSTED || e.code === grpc.status.INVALID_ARGUMENT, `${e.code} ${e.details}`);
        assert.ok(e.details.length <= MAX_STATUS_DETAILS + 20);
        return true;
      });
    }
    assert.equal(await store.revision(), revision);
  });

  it('ten 8 MiB Opens in a row all end promptly and the process keeps serving', async () => {
    for (let i = 0; i < 10; i++) {
      const { status } = await streamStatus([open('z'.repeat(8 * 1024 * 1024), 's')]);
      assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    }
    const { status } = await streamStatus([{ Payload: { case: 'heartbeat', value: {} } }]);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  });
});

describe('fuzz: the first message of a peer stream', () => {
  const str = fc.oneof(fc.string({ maxLength: 40 }), fc.uuid(), fc.constant(''), fc.string({ minLength: 100, maxLength: 400 }), fc.constantFrom('\n[ERROR] forged', '\u0000', '__proto__', 'toString'));
  const first: fc.Arbitrary<MessageInit> = fc.oneof(
    fc.record({ PeerID: str, StreamSecretID: str, Remote: fc.option(fc.record({ Partition: str, Datacenter: str }), { nil: undefined }) }).map((v) => ({ Payload: { case: 'open' as const, value: v } })),
    fc.record({ PeerID: str, ResponseNonce: str, ResourceURL: str }).map((v) => ({ Payload: { case: 'request' as const, value: v } })),
    fc.record({ Nonce: str, ResourceURL: str, ResourceID: str }).map((v) => ({ Payload: { case: 'response' as const, value: v } })),
    fc.constant<MessageInit>({ Payload: { case: 'heartbeat', value: {} } }),
    fc.constant<MessageInit>({ Payload: { case: 'terminated', value: {} } }),
    fc.constant<MessageInit>({}),
  );
  const RUNS = 60;

  it(`${RUNS} random first messages: each ends with an error status at once, a readable message, nothing stored`, async () => {
    await agent.peering.generateToken({ PeerName: 'fuzz-target' });
    const revision = await store.revision();
    const logLines = logText.split('\n').length;
    await fc.assert(
      fc.asyncProperty(first, fc.boolean(), async (msg, halfClose) => {
        const { status } = await streamStatus([msg], !halfClose);
        assert.notEqual(status.code, grpc.status.OK, 'a bogus first message never ends with OK');
        assert.notEqual(status.code, grpc.status.INTERNAL, status.details);
        assert.ok([grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED, grpc.status.RESOURCE_EXHAUSTED].includes(status.code), `${status.code} ${status.details}`);
        assert.ok(status.details.length > 0 && status.details.length <= MAX_STATUS_DETAILS + 20, status.details);
      }),
      { numRuns: RUNS, verbose: true },
    );
    assert.equal(await store.revision(), revision, 'no refused first message stored anything');
    // Every log line is one event: forged newlines in peer strings never start a new line.
    for (const line of logText.split('\n').slice(logLines - 1)) if (line !== '') assert.match(line, /^\d{4}-\d\d-\d\dT/, line.slice(0, 200));
  });
});
