// Unit tests of Go-style flag parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlagSpec } from './command.js';
import { FlagError, parseFlags } from './flags.js';

const SPECS: Record<string, FlagSpec> = {
  recurse: { type: 'boolean', doc: '' },
  flags: { type: 'string', doc: '' },
  meta: { type: 'string', multiple: true, doc: '' },
  help: { type: 'boolean', short: 'h', doc: '' },
};

describe('Go flag parsing', () => {
  it('accepts -f v, -f=v, --f and booleans', () => {
    assert.deepEqual(parseFlags(['-flags', '42', '--recurse', 'key'], SPECS), { values: { flags: '42', recurse: true }, positionals: ['key'] });
    assert.deepEqual(parseFlags(['-flags=7', '-recurse=false'], SPECS).values, { flags: '7', recurse: false });
    assert.deepEqual(parseFlags(['-meta=a=1', '-meta', 'b=2'], SPECS).values, { meta: ['a=1', 'b=2'] });
    assert.deepEqual(parseFlags(['-h'], SPECS).values, { help: true });
  });

  it('stops at the first positional argument, at `-` and after `--`', () => {
    assert.deepEqual(parseFlags(['key', '-recurse'], SPECS), { values: {}, positionals: ['key', '-recurse'] });
    assert.deepEqual(parseFlags(['-recurse', '-', 'x'], SPECS).positionals, ['-', 'x']);
    assert.deepEqual(parseFlags(['--', '-recurse'], SPECS).positionals, ['-recurse']);
  });

  it("fails with Go's texts", () => {
    assert.throws(() => parseFlags(['-nope'], SPECS), new FlagError('flag provided but not defined: -nope'));
    assert.throws(() => parseFlags(['-flags'], SPECS), new FlagError('flag needs an argument: -flags'));
    assert.throws(() => parseFlags(['-recurse=maybe'], SPECS), new FlagError('invalid boolean value "maybe" for -recurse: parse error'));
  });
});
