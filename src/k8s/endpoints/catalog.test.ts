import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenPod } from './catalog.js';

describe('login token description', () => {
  it('reads the pod login meta, and nothing else', () => {
    assert.equal(tokenPod('token created via login: {"component":"x","pod":"default/web-7d4"}'), 'default/web-7d4');
    assert.equal(tokenPod('token created via login'), undefined);
    assert.equal(tokenPod('token created via login: {"component":"x"}'), undefined);
    assert.equal(tokenPod('token created via login: {not json'), undefined);
    assert.equal(tokenPod('my token: {"pod":"default/web-7d4"}'), undefined);
    assert.equal(tokenPod(undefined), undefined);
  });
});
