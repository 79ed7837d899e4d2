import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenMeta } from './catalog.js';

describe('login token description', () => {
  it('reads the login meta, and nothing else', () => {
    assert.deepEqual(tokenMeta('token created via login: {"component":"x","pod":"default/web-7d4"}'), { component: 'x', pod: 'default/web-7d4' });
    assert.equal(tokenMeta('token created via login'), undefined);
    assert.equal(tokenMeta('token created via login: {not json}'), undefined);
    assert.equal(tokenMeta('token created via login: ["a"]'), undefined);
    assert.equal(tokenMeta(undefined), undefined);
  });
});
