// Two servers on one store (HA): roles, auth methods, binding rules and login tokens written on one are
// visible and enforced on the other through the store's watch (the agent wires `acl/` to applyReplicated).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { createRootCert, generateKey } from '../ca/certs.js';
import { AuthMethodService } from './auth-methods.js';
import { BindingRuleService } from './binding-rules.js';
import { LoginService } from './login.js';
import { RoleService } from './roles.js';
import { AclService } from './service.js';

const store = new MemoryStore();
after(() => store.close());

const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;

describe('ACL records across servers sharing a store', () => {
  it('follow the watch: a role, a method, a rule and a login token made on A work on B; deletion too', async () => {
    const opts = { enabled: true, defaultPolicy: 'deny' as const, datacenter: 'dc1' };
    const a = new AclService({ store, log: SILENT_LOGGER }, opts);
    await a.load();
    const b = new AclService({ store, log: SILENT_LOGGER }, opts);
    await b.load();
    const ac = new AbortController();
    const follow = (async () => {
      for await (const batch of store.watch('acl/', { signal: ac.signal })) b.applyReplicated(batch.events);
    })().catch(() => undefined);
    const ca = (await createRootCert({ commonName: 'k', trustDomain: 'k.local', key: await generateKey(), ttlMs: 3_600_000 })).toString('pem');
    const role = await new RoleService(a).create({ Name: 'ops', ServiceIdentities: [{ ServiceName: 'ops' }] });
    await new AuthMethodService(a).upsert({ Name: 'k8s', Type: 'kubernetes', Config: { Host: 'https://h', CACert: ca, ServiceAccountJWT: JWT } });
    await new BindingRuleService(a).create({ AuthMethod: 'k8s', BindType: 'role', BindName: 'ops' });
    const login = new LoginService(a, async () => ({ selectable: { serviceaccount: { name: 'x', namespace: 'd', uid: 'u' } }, vars: { 'serviceaccount.name': 'x', 'serviceaccount.namespace': 'd', 'serviceaccount.uid': 'u' } }));
    const tok = await login.login({ AuthMethod: 'k8s', BearerToken: JWT });
    const deadline = Date.now() + 5000;
    while (!b.tokenBySecret(tok.value.SecretID) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.roles.get(role.value.ID)?.value.Name, 'ops');
    assert.equal(b.authMethods.get('k8s')?.value.Type, 'kubernetes');
    assert.equal(new BindingRuleService(b).list('k8s').length, 1);
    assert.equal(b.authenticate(tok.value.SecretID).allowed('service', 'write', 'ops'), true, 'the role reached B and grants its identity');
    assert.equal(b.authenticate(tok.value.SecretID).allowed('service', 'write', 'db'), false);
    await new AuthMethodService(a).delete('k8s');
    const gone = Date.now() + 5000;
    while (b.tokenBySecret(tok.value.SecretID) && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
    assert.throws(() => b.authenticate(tok.value.SecretID), /ACL not found/);
    assert.equal(new BindingRuleService(b).list('k8s').length, 0);
    ac.abort();
    await follow;
  });
});
