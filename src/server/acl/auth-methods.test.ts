import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createRootCert, generateKey } from '../ca/certs.js';
import { buildAuthMethod, renderAuthMethod, validateKubernetesConfig } from './auth-methods.js';
import { parseJwt } from './jwt.js';

const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`;
let ca = '';
before(async () => {
  ca = (await createRootCert({ commonName: 'kube-ca', trustDomain: 'kube.local', key: await generateKey(), ttlMs: 3_600_000 })).toString('pem');
});
const text = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};
const cfg = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ Host: 'https://127.0.0.1:6443', CACert: ca, ServiceAccountJWT: JWT, ...over });

describe('kubernetes auth method Config', () => {
  it('answers each missing or broken field with Consul text', () => {
    assert.equal(text(() => validateKubernetesConfig(cfg({ Host: '' }))), 'Invalid Auth Method: Config.Host is required');
    assert.equal(text(() => validateKubernetesConfig(cfg({ CACert: undefined }))), 'Invalid Auth Method: Config.CACert is required');
    assert.match(text(() => validateKubernetesConfig(cfg({ CACert: 'not pem' }))), /^Invalid Auth Method: error parsing kubernetes ca cert: /);
    assert.equal(text(() => validateKubernetesConfig(cfg({ ServiceAccountJWT: '' }))), 'Invalid Auth Method: Config.ServiceAccountJWT is required');
    assert.match(text(() => validateKubernetesConfig(cfg({ ServiceAccountJWT: 'abc' }))), /^Invalid Auth Method: Config\.ServiceAccountJWT is not a valid JWT: compact JWS format must have three parts$/);
    assert.match(text(() => validateKubernetesConfig(cfg({ Bogus: 1 }))), /has invalid keys: Bogus/);
    assert.deepEqual(validateKubernetesConfig({ host: 'https://h', cacert: ca, serviceaccountjwt: JWT }), { Host: 'https://h', CACert: ca, ServiceAccountJWT: JWT });
  });

  it('never echoes the JWT in an error', () => {
    const secret = `${JWT}.extra`;
    assert.ok(!text(() => validateKubernetesConfig(cfg({ ServiceAccountJWT: secret }))).includes(secret));
  });
});

describe('auth method fields', () => {
  it('validates name, type, locality and MaxTokenTTL', () => {
    assert.equal(text(() => buildAuthMethod({ Type: 'kubernetes', Config: cfg() })), 'Invalid Auth Method: no Name is set');
    assert.match(text(() => buildAuthMethod({ Name: 'a b', Type: 'kubernetes', Config: cfg() })), /^Invalid Auth Method: invalid Name/);
    assert.equal(text(() => buildAuthMethod({ Name: 'k', Type: 'ldap', Config: cfg() })), 'Invalid Auth Method: Type should be one of: [jwt kubernetes]');
    assert.equal(text(() => buildAuthMethod({ Name: 'k', Type: 'kubernetes', TokenLocality: 'world', Config: cfg() })), "Invalid Auth Method: TokenLocality should be one of 'local' or 'global'");
    assert.equal(text(() => buildAuthMethod({ Name: 'k', Type: 'kubernetes', MaxTokenTTL: 10_000, Config: cfg() })), 'MaxTokenTTL 10s cannot be less than 1m0s');
    assert.equal(text(() => buildAuthMethod({ Name: 'k', Type: 'kubernetes', MaxTokenTTL: 25 * 3_600_000, Config: cfg() })), 'MaxTokenTTL 25h0m0s cannot be more than 24h0m0s');
    const m = buildAuthMethod({ Name: 'k', Type: 'kubernetes', MaxTokenTTL: 600_000, Config: cfg() });
    assert.match(text(() => buildAuthMethod({ Name: 'k', Type: 'jwt', Config: cfg() }, m)), /the Type field is immutable/);
    const r = renderAuthMethod({ value: m, createIndex: 3, modifyIndex: 4 }, false);
    assert.deepEqual(r, { Name: 'k', Type: 'kubernetes', MaxTokenTTL: '10m0s', CreateIndex: 3, ModifyIndex: 4 });
  });
});

describe('JWT structure', () => {
  it('parses compact JWS and refuses other shapes', () => {
    assert.equal(parseJwt(JWT).header.alg, 'ES256');
    assert.throws(() => parseJwt('a.b'), /three parts/);
    assert.throws(() => parseJwt('a!.b.c'), /illegal base64/);
    assert.throws(() => parseJwt(`${Buffer.from('{}').toString('base64url')}.e30.c2ln`), /missing "alg"/);
  });
});
