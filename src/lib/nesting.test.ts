// Nesting limits (issue 10, class 1): counted without recursion, strings ignored, exact at the limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError, decodeJson, parseJsonText } from './json-decode.js';
import { parseHcl, parseJsonOrHcl } from './hcl.js';
import { depthMessage, MAX_NESTING_DEPTH, textNestingExceeds, valueNestingExceeds } from './nesting.js';

const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);

describe('nesting limits', () => {
  it('accepts exactly the limit and refuses one more', () => {
    assert.equal(textNestingExceeds(nested(MAX_NESTING_DEPTH)), false);
    assert.equal(textNestingExceeds(nested(MAX_NESTING_DEPTH + 1)), true);
    assert.equal(valueNestingExceeds(JSON.parse(nested(MAX_NESTING_DEPTH))), false);
    assert.equal(valueNestingExceeds(JSON.parse(nested(MAX_NESTING_DEPTH + 1))), true);
  });

  it('does not count brackets inside strings (escaped quotes included)', () => {
    assert.equal(textNestingExceeds(JSON.stringify({ a: '['.repeat(1000) + '\\"{{{{' })), false);
    assert.equal(textNestingExceeds(`{"a":"\\"${'{'.repeat(500)}"}`), false);
  });

  it('handles a million levels without recursion', () => {
    assert.equal(textNestingExceeds(nested(1_000_000)), true);
    assert.throws(() => parseJsonText(nested(1_000_000)), (e: Error) => e instanceof DecodeError && e.message === depthMessage());
  });

  it('decodeJson refuses deep values even in `any` fields', () => {
    const schema = { name: 'X', fields: { Config: 'any' as const } };
    assert.throws(() => decodeJson(`{"Config":${nested(200)}}`, schema), (e: Error) => e.message === depthMessage());
    assert.deepEqual(decodeJson(`{"Config":${nested(10)}}`, schema), { Config: JSON.parse(nested(10)) });
  });

  it('HCL: deep documents are refused before the parser runs, normal ones parse', async () => {
    await assert.rejects(parseHcl(`a = ${nested(5000)}`), (e: Error) => e.message === depthMessage());
    await assert.rejects(parseJsonOrHcl(`{"a": ${nested(5000)}}`), (e: Error) => e.message === depthMessage());
    assert.deepEqual(await parseHcl('service "web" { policy = "read" }\n'), { service: { web: [{ policy: 'read' }] } });
  });
});
