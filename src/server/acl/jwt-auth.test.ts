import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';
import { jwtIdentityShape, validateJwtConfig, validateJwtLogin } from './jwt-auth.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUB = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function sign(claims: Record<string, unknown>, key = privateKey): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createSign('SHA256').update(input).sign(key).toString('base64url')}`;
}
const now = Math.floor(Date.now() / 1000);
const config = { JWTValidationPubKeys: [PUB], BoundIssuer: 'https://issuer', BoundAudiences: ['isthmus'], ClaimMappings: { sub: 'name', '/org/team': 'team' }, ListClaimMappings: { groups: 'groups' } };
const good = { iss: 'https://issuer', aud: ['isthmus'], sub: 'Web', exp: now + 600, nbf: now - 10, org: { team: 'blue' }, groups: ['a', 'b'] };
const text = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('jwt auth method', () => {
  it('validates its Config with Consul texts', () => {
    assert.match(text(() => validateJwtConfig({})), /exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set for type "jwt"/);
    assert.match(text(() => validateJwtConfig({ JWTValidationPubKeys: ['nope'] })), /^Invalid Auth Method: error parsing public key: /);
    assert.match(text(() => validateJwtConfig({ JWTValidationPubKeys: [PUB], Bogus: 1 })), /has invalid keys: Bogus/);
    assert.equal(text(() => validateJwtConfig(config)), 'no error');
    assert.deepEqual(jwtIdentityShape(config), { fields: ['value.name', 'value.team', 'list.groups'], vars: ['value.name', 'value.team'] });
  });

  it('accepts a token signed by a configured key and maps its claims', () => {
    const id = validateJwtLogin(config, sign(good));
    assert.deepEqual(id.selectable, { value: { name: 'Web', team: 'blue' }, list: { groups: ['a', 'b'] } });
    assert.deepEqual(id.vars, { 'value.name': 'Web', 'value.team': 'blue' });
  });

  it('refuses a wrong key, an expired token, a wrong issuer or audience', () => {
    assert.match(text(() => validateJwtLogin(config, sign(good, other.privateKey))), /no known key successfully validated the token signature/);
    assert.match(text(() => validateJwtLogin(config, sign({ ...good, exp: now - 3600 }))), /token is expired/);
    assert.match(text(() => validateJwtLogin(config, sign({ ...good, iss: 'x' }))), /invalid issuer/);
    assert.match(text(() => validateJwtLogin(config, sign({ ...good, aud: 'other' }))), /invalid audience/);
    assert.match(text(() => validateJwtLogin(config, 'x.y')), /^failed to parse and validate JWT: /);
  });
});

describe('jwt login over HTTP', () => {
  let t: TestAgent;
  let mgmt = '';
  before(async () => {
    t = await startTestAgent({ flags: { node: 'jwt' }, file: { acl: { enabled: true, default_policy: 'deny' } } });
    mgmt = (await t.request('PUT', '/v1/acl/bootstrap')).json<{ SecretID: string }>().SecretID;
  });
  after(() => t.close());
  const m = (method: string, url: string, body?: unknown) => t.request(method, url, body, { 'X-Consul-Token': mgmt });

  it('binds by mapped claims: selector on list.groups, bind name from value.name', async () => {
    assert.equal((await m('PUT', '/v1/acl/auth-method', { Name: 'jwt', Type: 'jwt', Config: config })).status, 200);
    const r = await m('PUT', '/v1/acl/binding-rule', { AuthMethod: 'jwt', BindType: 'service', BindName: '${value.name}', Selector: '"a" in list.groups' });
    assert.equal(r.status, 200, r.body);
    assert.match((await m('PUT', '/v1/acl/binding-rule', { AuthMethod: 'jwt', BindType: 'service', BindName: 'x', Selector: 'value.nope==x' })).body, /Selector "value\.nope" is not valid/);
    const login = await t.request('POST', '/v1/acl/login', { AuthMethod: 'jwt', BearerToken: sign(good) });
    assert.equal(login.status, 200, login.body);
    assert.deepEqual(login.json<{ ServiceIdentities: unknown }>().ServiceIdentities, [{ ServiceName: 'web' }]);
    const none = await t.request('POST', '/v1/acl/login', { AuthMethod: 'jwt', BearerToken: sign({ ...good, groups: ['c'] }) });
    assert.equal(none.status, 403);
    assert.equal(none.body, 'Permission denied');
    const bad = await t.request('POST', '/v1/acl/login', { AuthMethod: 'jwt', BearerToken: sign(good, other.privateKey) });
    assert.equal(bad.status, 500);
  });
});
