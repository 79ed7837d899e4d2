// Login orchestration without an API server: the description, and the bound on concurrent validations.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { createRootCert, generateKey } from '../ca/certs.js';
import { AuthMethodService } from './auth-methods.js';
import { LoginService, loginDescription } from './login.js';
import { AclService } from './service.js';

const store = new MemoryStore();
after(() => store.close());
const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;

describe('login', () => {
  it('describes the token as Consul does (Meta as sorted JSON)', () => {
    assert.equal(loginDescription(undefined), 'token created via login');
    assert.equal(loginDescription({ pod: 'default/counting', component: 'x' }), 'token created via login: {"component":"x","pod":"default/counting"}');
  });

  it('bounds concurrent logins: beyond the limit a login is refused with 429 text, not queued', async () => {
    const acl = new AclService({ store, log: SILENT_LOGGER }, { enabled: true, defaultPolicy: 'deny' });
    await acl.load();
    const ca = (await createRootCert({ commonName: 'k', trustDomain: 'k.local', key: await generateKey(), ttlMs: 3_600_000 })).toString('pem');
    await new AuthMethodService(acl).upsert({ Name: 'slow', Type: 'kubernetes', Config: { Host: 'https://h', CACert: ca, ServiceAccountJWT: JWT } });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const service = new LoginService(acl, async () => {
      await gate;
      return { selectable: {}, vars: {} };
    }, 2);
    const pending = [service.login({ AuthMethod: 'slow', BearerToken: JWT }), service.login({ AuthMethod: 'slow', BearerToken: JWT })].map((p) => p.catch((e: Error) => e));
    await assert.rejects(service.login({ AuthMethod: 'slow', BearerToken: JWT }), (e: Error & { code?: string }) => e.code === 'RESOURCE_EXHAUSTED' && /too many concurrent logins/.test(e.message));
    release();
    for (const r of await Promise.all(pending)) assert.equal((r as Error).message, 'Permission denied', 'no rules: the admitted logins ran to the binder');
  });
});
