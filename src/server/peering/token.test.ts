// The peering token decoder under hostile input (issue 10, classes 3 and 4): fields of the wrong type
// are refused with the spec's texts (never coerced), every CA must parse as X.509, a token without a
// CA is refused (no plaintext dialing), and every field is bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeToken, encodeToken, TOKEN_LIMITS, type PeeringToken } from './token.js';
import { TEST_CA_PEM as PEM } from './test-ca.js';


const good: PeeringToken = {
  CA: [PEM],
  ManualServerAddresses: null,
  ServerAddresses: ['127.0.0.1:8503'],
  ServerName: 'server.dc1.peering.11111111-2222-3333-4444-555555555555.consul',
  PeerID: '9e8bfc0a-0d5a-4bd2-9d2a-1ad1d6b5e0c6',
  EstablishmentSecret: '5b1b1b1b-0000-4000-8000-000000000000',
  Remote: { Partition: 'default', Datacenter: 'dc1', Locality: null },
};
/** A token whose JSON has `patch` applied as raw values (any type). */
const raw = (patch: Record<string, unknown>): string => Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(encodeToken(good), 'base64').toString()), ...patch })).toString('base64');
const refuses = (text: string, message: string | RegExp): void => {
  assert.throws(
    () => decodeToken(text),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_ARGUMENT');
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
};

describe('peering token field types (class 3)', () => {
  it('decodes a good token', () => assert.deepEqual(decodeToken(encodeToken(good)), good));

  const caCases: [string, unknown, string][] = [
    ['a number', 5, 'number into Go struct field PeeringToken.CA of type []string'],
    ['an object', { a: PEM }, 'object into Go struct field PeeringToken.CA of type []string'],
    ['a string', PEM, 'string into Go struct field PeeringToken.CA of type []string'],
    ['an array of numbers', [5], 'number into Go struct field PeeringToken.CA of type string'],
    ['an array of objects', [{}], 'object into Go struct field PeeringToken.CA of type string'],
  ];
  for (const [what, value, detail] of caCases) {
    it(`refuses a CA that is ${what}`, () => refuses(raw({ CA: value }), `peering token invalid CA: json: cannot unmarshal ${detail}`));
  }

  const fieldCases: [string, unknown, string][] = [
    ['Remote', 'x', 'string into Go struct field PeeringToken.Remote of type structs.PeeringTokenRemote'],
    ['Remote', [1], 'array into Go struct field PeeringToken.Remote of type structs.PeeringTokenRemote'],
    ['ManualServerAddresses', 'x', 'string into Go struct field PeeringToken.ManualServerAddresses of type []string'],
    ['ManualServerAddresses', [1], 'number into Go struct field PeeringToken.ManualServerAddresses of type string'],
    ['ServerAddresses', { a: 1 }, 'object into Go struct field PeeringToken.ServerAddresses of type []string'],
    ['ServerName', 5, 'number into Go struct field PeeringToken.ServerName of type string'],
    ['PeerID', ['x'], 'array into Go struct field PeeringToken.PeerID of type string'],
    ['EstablishmentSecret', true, 'bool into Go struct field PeeringToken.EstablishmentSecret of type string'],
  ];
  for (const [field, value, detail] of fieldCases) {
    it(`refuses ${field} = ${JSON.stringify(value)}`, () => refuses(raw({ [field]: value }), `failed to decode peering token: json: cannot unmarshal ${detail}`));
  }

  it('refuses Remote.Datacenter of the wrong type', () =>
    refuses(raw({ Remote: { Partition: 'default', Datacenter: 7 } }), 'failed to decode peering token: json: cannot unmarshal number into Go struct field PeeringTokenRemote.Datacenter of type string'));

  it('ignores unknown keys as Go does, including JS built-in names', () => {
    const t = decodeToken(raw({ Extra: 1, toString: 2, constructor: 3 }));
    assert.equal(t.PeerID, good.PeerID);
    const proto = Buffer.from(Buffer.from(encodeToken(good), 'base64').toString().replace(/^\{/, '{"__proto__":{"polluted":1},')).toString('base64');
    assert.equal(decodeToken(proto).PeerID, good.PeerID);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses a token nested deeper than the limit', () => {
    const deep = Buffer.from(Buffer.from(encodeToken(good), 'base64').toString().replace(/^\{/, `{"Extra":${'['.repeat(5000)}${']'.repeat(5000)},`)).toString('base64');
    refuses(deep, /^failed to decode peering token: exceeded max depth/);
  });
});

describe('peering token CA contents (class 4)', () => {
  it('refuses junk between PEM markers with the spec text', () => {
    refuses(raw({ CA: ['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'] }), 'peering token invalid CA: certificate 1 is not a valid X.509 certificate');
    refuses(raw({ CA: [PEM, '-----BEGIN CERTIFICATE-----\n!!!junk!!!\n-----END CERTIFICATE-----\n'] }), 'peering token invalid CA: certificate 2 is not a valid X.509 certificate');
    refuses(raw({ CA: [PEM.replace('MIIB', 'MIIC')] }), /^peering token invalid CA: certificate 1 is not a valid X\.509 certificate$/);
  });
  it('refuses text without PEM markers', () => refuses(raw({ CA: ['hello'] }), 'peering token invalid CA: no PEM-encoded data found'));
  it('refuses a token with no CA at all (the dialer never connects without TLS)', () => {
    refuses(raw({ CA: [] }), /^peering token invalid CA: the token carries no CA certificate/);
    refuses(raw({ CA: null }), /^peering token invalid CA: the token carries no CA certificate/);
  });
  it('requires a server name to verify against', () => refuses(raw({ ServerName: '' }), 'peering token server name value is empty'));
});

describe('peering token sizes (class 7)', () => {
  it('bounds every field', () => {
    refuses(raw({ PeerID: 'a'.repeat(TOKEN_LIMITS.idChars + 1) }), `peering token peer ID value is too long (limit: ${TOKEN_LIMITS.idChars} characters)`);
    refuses(raw({ EstablishmentSecret: 'a'.repeat(TOKEN_LIMITS.idChars + 1) }), /establishment secret value is too long/);
    refuses(raw({ ServerName: 'a'.repeat(TOKEN_LIMITS.serverNameChars + 1) }), /server name value is too long/);
    refuses(raw({ ServerAddresses: Array.from({ length: TOKEN_LIMITS.addressCount + 1 }, (_, i) => `10.0.0.1:${i + 1}`) }), /more than 64 entries/);
    refuses(raw({ Remote: { Datacenter: 'd'.repeat(TOKEN_LIMITS.remoteChars + 1) } }), /remote datacenter value is too long/);
    refuses(raw({ CA: Array.from({ length: TOKEN_LIMITS.caCount + 1 }, () => PEM) }), /peering token invalid CA: more than 16 certificates/);
    refuses('A'.repeat(TOKEN_LIMITS.tokenChars + 4), /token is longer than/);
  });
});
