import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HilError, interpolate } from './hil.js';

const vars = { 'serviceaccount.name': 'Web-App', 'serviceaccount.namespace': 'Default', 'serviceaccount.uid': 'ABC' };

describe('HIL interpolation of bind names', () => {
  it('replaces ${var} with the lower-cased value', () => {
    assert.equal(interpolate('${serviceaccount.name}', vars, true), 'web-app');
    assert.equal(interpolate('k8s-${serviceaccount.namespace}-${ serviceaccount.name }', vars, true), 'k8s-default-web-app');
    assert.equal(interpolate('${serviceaccount.name}', vars, false), 'Web-App');
  });

  it('takes text without ${ literally (the {{ }} form of some docs is not interpolated)', () => {
    assert.equal(interpolate('{{ serviceaccount.name }}', vars, true), '{{ serviceaccount.name }}');
    assert.equal(interpolate('plain', vars, true), 'plain');
  });

  it('refuses unknown variables and malformed interpolations', () => {
    assert.throws(() => interpolate('${serviceaccount.bogus}', vars, true), (e: unknown) => e instanceof HilError && e.message === 'unknown variable accessed: serviceaccount.bogus');
    assert.throws(() => interpolate('${serviceaccount.name', vars, true), HilError);
    assert.throws(() => interpolate('${}', vars, true), HilError);
    assert.throws(() => interpolate('${a b}', vars, true), HilError);
  });
});
