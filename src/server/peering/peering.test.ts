// Unit tests of the pure peering pieces: token codec, state machine, backoff, nonces, exports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckRecord } from '../catalog/types.js';
import { exchangeRetryWaitMs, retryDelayMs } from './backoff.js';
import { exportedNamesFor, worstStatus } from './exports.js';
import { formatNonce } from './resources.js';
import { transition, visibleState } from './state.js';
import { decodeToken, encodeToken, type PeeringToken } from './token.js';
import type { PeeringRecord } from './types.js';
import { isValidServerAddress, validatePeerName, validatePeeringMeta } from './validate.js';
import { TEST_CA_PEM as PEM } from './test-ca.js';

// A real self-signed certificate: token CAs are parsed as X.509.
const token: PeeringToken = {
  CA: [PEM],
  ManualServerAddresses: null,
  ServerAddresses: ['10.0.0.1:8503'],
  ServerName: 'server.dc1.peering.11111111-2222-3333-4444-555555555555.consul',
  PeerID: '9e8bfc0a-0d5a-4bd2-9d2a-1ad1d6b5e0c6',
  EstablishmentSecret: '5b1b1b1b-0000-4000-8000-000000000000',
  Remote: { Partition: 'default', Datacenter: 'dc1', Locality: null },
};

describe('peering token', () => {
  it('encodes base64 JSON with Consul’s key order, starting eyJDQSI6', () => {
    const t = encodeToken(token);
    assert.match(t, /^eyJDQSI6/);
    assert.deepEqual(Object.keys(JSON.parse(Buffer.from(t, 'base64').toString()) as object), ['CA', 'ManualServerAddresses', 'ServerAddresses', 'ServerName', 'PeerID', 'EstablishmentSecret', 'Remote']);
    assert.deepEqual(decodeToken(t), token);
  });

  const enc = (patch: Partial<PeeringToken>): string => encodeToken({ ...token, ...patch });
  const cases: [string, string, string][] = [
    ['bad base64', '%%%', 'failed to decode peering token: illegal base64 data'],
    ['not JSON', Buffer.from('hello').toString('base64'), 'failed to decode peering token'],
    ['no addresses', enc({ ServerAddresses: [] }), 'peering token server addresses value is empty'],
    ['bad address', enc({ ServerAddresses: ['10.0.0.1'] }), '10.0.0.1 is not a valid peering server address'],
    ['port out of range', enc({ ServerAddresses: ['10.0.0.1:70000'] }), '10.0.0.1:70000 is not a valid peering server address'],
    ['CA without server name', enc({ ServerName: '' }), 'peering token server name value is empty'],
    ['no peer ID', enc({ PeerID: '' }), 'peering token peer ID value is empty'],
    ['garbage CA', enc({ CA: ['nope'] }), 'peering token invalid CA'],
  ];
  for (const [name, text, message] of cases) {
    it(`refuses a token with ${name}`, () => assert.throws(() => decodeToken(text), (e: Error) => e.message.startsWith(message)));
  }

  it('accepts manual addresses in place of server addresses', () => {
    assert.deepEqual(decodeToken(enc({ ServerAddresses: [], ManualServerAddresses: ['gw.example:443'] })).ManualServerAddresses, ['gw.example:443']);
  });
});

describe('names, meta and addresses', () => {
  it('accepts DNS labels and refuses the rest with the spec text', () => {
    for (const ok of ['a', 'cluster-02', 'x'.repeat(63)]) validatePeerName(ok);
    for (const bad of ['', 'Upper', '-lead', 'trail-', 'a_b', 'x'.repeat(64)]) {
      assert.throws(
        () => validatePeerName(bad),
        (e: Error) => e.message === `${bad} is not a valid peer name: a valid peering name must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      );
    }
  });

  it('validates meta like Consul', () => {
    validatePeeringMeta({ env: 'prod' });
    assert.throws(() => validatePeeringMeta({ 'consul-x': '1' }), (e: Error) => /^meta tags failed validation: .*reserved/.test(e.message));
    assert.throws(() => validatePeeringMeta({ 'bad key': '1' }), (e: Error) => /invalid characters/.test(e.message));
  });

  it('checks host:port server addresses', () => {
    assert.equal(isValidServerAddress('10.0.0.1:8503'), true);
    assert.equal(isValidServerAddress('[::1]:8503'), true);
    assert.equal(isValidServerAddress('host:0'), false);
    assert.equal(isValidServerAddress(':8503'), false);
  });
});

describe('state machine', () => {
  const base: PeeringRecord = { ID: 'i', Name: 'n', Partition: '', Meta: {}, State: 'UNDEFINED', PeerID: '', PeerCAPems: [], PeerServerName: '', PeerServerAddresses: [], ManualServerAddresses: [], Remote: { Partition: '', Datacenter: '' } };
  it('walks acceptor and dialer lifecycles', () => {
    assert.equal(transition(base, { type: 'token-generated' }).State, 'PENDING');
    const dialer = transition(base, { type: 'dialer-written' });
    assert.equal(dialer.State, 'PENDING');
    assert.equal(transition(dialer, { type: 'secret-exchanged' }).State, 'ESTABLISHING');
    const del = transition(dialer, { type: 'delete-requested', at: '2026-01-01T00:00:00Z' });
    assert.equal(del.State, 'DELETING');
    assert.equal(del.DeletedAt, '2026-01-01T00:00:00Z');
    assert.equal(transition(del, { type: 'terminated-by-peer' }).State, 'DELETING', 'deleting wins over terminated');
    assert.equal(transition({ ...base, State: 'ESTABLISHING' }, { type: 'terminated-by-peer' }).State, 'TERMINATED');
    assert.equal(transition({ ...base, State: 'TERMINATED' }, { type: 'dialer-written' }).State, 'PENDING', 're-establishment');
  });

  it('shows ACTIVE while connected, FAILING after an error disconnect, and stored states otherwise', () => {
    const p = { ...base, State: 'ESTABLISHING' as const };
    assert.equal(visibleState(p, { connected: true }), 'ACTIVE');
    assert.equal(visibleState(p, { connected: false, disconnectError: 'heartbeat timeout' }), 'FAILING');
    assert.equal(visibleState(p, { connected: false }), 'ESTABLISHING', 'pure dial failures do not set FAILING');
    assert.equal(visibleState({ ...p, State: 'TERMINATED' }, { connected: true }), 'TERMINATED');
    assert.equal(visibleState({ ...p, State: 'DELETING' }, undefined), 'DELETING');
  });
});

describe('backoff and nonces', () => {
  it('doubles generic retries from 2 s up to 64 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelayMs('other', n)), [2000, 4000, 8000, 16000, 32000, 64000, 64000, 64000]);
  });
  it('retries FailedPrecondition fast: 8 ms ×5, then doubling, capped at 8192 ms', () => {
    assert.deepEqual([1, 5, 6, 7, 15, 30].map((n) => retryDelayMs('failed-precondition', n)), [8, 8, 16, 32, 8192, 8192]);
  });
  it('waits 8192 ms after ResourceExhausted', () => assert.equal(retryDelayMs('resource-exhausted', 1), 8192));
  it('jitters the exchange retry wait by 25 % around 150 ms', () => {
    assert.equal(exchangeRetryWaitMs(() => 0), 113);
    assert.equal(exchangeRetryWaitMs(() => 0.5), 150);
    assert.equal(exchangeRetryWaitMs(() => 1), 188);
  });
  it('formats nonces as 8 lowercase hex digits', () => {
    assert.deepEqual([1, 2, 255, 4096].map(formatNonce), ['00000001', '00000002', '000000ff', '00001000']);
  });
});

describe('exports', () => {
  const rules = [
    { Name: 'web', Consumers: [{ Peer: 'west' }] },
    { Name: '*', Consumers: [{ Peer: 'east' }] },
    { Name: 'db', Consumers: [{ Peer: 'north' }] },
  ];
  it('prefers an exact entry over the wildcard, and never exports consul or sidecars', () => {
    const local = ['web', 'db', 'api', 'consul', 'api-sidecar-proxy'];
    assert.deepEqual(exportedNamesFor(rules, 'west', local), ['web']);
    assert.deepEqual(exportedNamesFor(rules, 'east', local), ['api'], 'db and web have exact entries without east');
    assert.deepEqual(exportedNamesFor(rules, 'north', local), ['db']);
    assert.deepEqual(exportedNamesFor(rules, 'south', local), []);
  });
  it('lists an exported service with no instances yet', () => {
    assert.deepEqual(exportedNamesFor(rules, 'west', []), ['web']);
  });
  it('folds checks into the worst status, maintenance first', () => {
    const c = (CheckID: string, Status: CheckRecord['Status']) => ({ CheckID, Status }) as CheckRecord;
    assert.equal(worstStatus([]), undefined);
    assert.equal(worstStatus([c('a', 'passing'), c('b', 'warning')]), 'warning');
    assert.equal(worstStatus([c('a', 'critical'), c('b', 'warning')]), 'critical');
    assert.equal(worstStatus([c('_node_maintenance', 'critical'), c('b', 'passing')]), 'maintenance');
  });
});
