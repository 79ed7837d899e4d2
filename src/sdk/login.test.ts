import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IsthmusClient } from './client.js';
import { login, LoginError, parseLoginMeta } from './login.js';

describe('login', () => {
  it('parseLoginMeta: env pairs, then flags (flags win); malformed pairs are refused', () => {
    assert.deepEqual(parseLoginMeta([], 'pod=default/web-1'), { pod: 'default/web-1' });
    assert.deepEqual(parseLoginMeta(['pod=ns/p2', 'component=gw'], 'pod=default/web-1, zone=a'), { pod: 'ns/p2', zone: 'a', component: 'gw' });
    assert.deepEqual(parseLoginMeta(['k=a=b'], undefined), { k: 'a=b' });
    assert.throws(() => parseLoginMeta(['novalue'], undefined), /invalid login metadata "novalue" in -login-meta: expected key=value/);
    assert.throws(() => parseLoginMeta([], '=x'), /in DP_CREDENTIAL_LOGIN_META/);
  });

  it('a missing or empty bearer token file is a LoginError naming the file (no request made)', async () => {
    const client = new IsthmusClient({ address: '127.0.0.1:1' });
    await assert.rejects(login(client, { authMethod: 'm', bearerTokenPath: '/nonexistent/token' }), (err: Error) => err instanceof LoginError && /cannot read the bearer token file \/nonexistent\/token: no such file or directory/.test(err.message));
    const dir = mkdtempSync(join(tmpdir(), 'login-'));
    try {
      writeFileSync(join(dir, 't'), '  \n');
      await assert.rejects(login(client, { authMethod: 'm', bearerTokenPath: join(dir, 't') }), /the bearer token file .* is empty/);
      writeFileSync(join(dir, 't'), 'a.b.c');
      await assert.rejects(login(client, { authMethod: '', bearerTokenPath: join(dir, 't') }), /an auth method name is required/);
      // Nothing listens on port 1: retried while the bound lasts, then a clear error.
      const retries: number[] = [];
      await assert.rejects(login(client, { authMethod: 'm', bearerTokenPath: join(dir, 't'), retryForMs: 300, onRetry: (_e, n) => retries.push(n) }), /login with auth method "m" failed: .*connection refused/);
      assert.ok(retries.length >= 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
