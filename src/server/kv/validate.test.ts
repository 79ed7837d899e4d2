// Unit tests of the pure KV rules: key listing with a separator, parameters, base64, txn decoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsthmusError } from '../../lib/errors.js';
import { KV_VERBS } from './types.js';
import { checkKeyName, conflictingFlags, decodeBase64, decodeTxnBody, listKeys, parseUint, renderEntry, valueTooLarge } from './validate.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(IsthmusError.is(err));
    return err.message;
  }
  assert.fail('expected an error');
}

describe('KV listing with a separator (Consul KVSKeys)', () => {
  const keys = ['web/bar', 'web/foo', 'web/subdir/a', 'web/subdir/b', 'web/subdir/c/d', 'webx'];
  it('cuts after the first separator past the prefix and drops repeats', () => {
    assert.deepEqual(listKeys(keys.slice(0, 5), 'web/', '/'), ['web/bar', 'web/foo', 'web/subdir/']);
  });
  it('lists every key without a separator', () => {
    assert.deepEqual(listKeys(keys, 'web', ''), keys);
  });
  it('treats the prefix itself as not containing the separator', () => {
    assert.deepEqual(listKeys(keys, 'web', '/'), ['web/', 'webx']);
    assert.deepEqual(listKeys(keys, '', '/'), ['web/', 'webx']);
  });
});

describe('KV parameters', () => {
  it('parses unsigned integers like strconv.ParseUint', () => {
    assert.equal(parseUint('cas', '0'), 0);
    assert.equal(parseUint('flags', '42'), 42);
    assert.equal(message(() => parseUint('flags', '-1')), 'Invalid flags: strconv.ParseUint: parsing "-1": invalid syntax');
    assert.equal(message(() => parseUint('cas', '99999999999999999999')), 'Invalid cas: strconv.ParseUint: parsing "99999999999999999999": value out of range');
  });
  it('refuses traversal and padded key names', () => {
    assert.doesNotThrow(() => checkKeyName('a/b..c/d'));
    assert.match(message(() => checkKeyName('a/../b')), /path traversal/);
    assert.match(message(() => checkKeyName(' a')), /whitespace/);
  });
  it("answers Consul's conflicting-flags text with the raw query", () => {
    assert.equal(message(() => conflictingFlags({ cas: '1', acquire: 's' }, 'cas=1&acquire=s', ['cas', 'acquire', 'release'])), 'Conflicting flags: cas=1&acquire=s\n');
    assert.doesNotThrow(() => conflictingFlags({ cas: '1' }, 'cas=1', ['cas', 'acquire', 'release']));
  });
  it("words the size limit as Consul (413)", () => {
    const e = valueTooLarge(600000);
    assert.equal(e.httpStatus, 413);
    assert.equal(e.message, 'Request body(600000 bytes) too large, max size: 524288 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.');
  });
});

describe('KV rendering and base64', () => {
  it('renders Consul key order, empty values as null, Session only when held', () => {
    const e = { key: 'k', flags: 3, value: Buffer.from('hi'), lockIndex: 0, createIndex: 5, modifyIndex: 7 };
    assert.equal(JSON.stringify(renderEntry(e)), '{"LockIndex":0,"Key":"k","Flags":3,"Value":"aGk=","CreateIndex":5,"ModifyIndex":7}');
    assert.equal(renderEntry({ ...e, value: Buffer.alloc(0) }).Value, null);
    assert.equal(renderEntry(e, false).Value, null);
    assert.equal(renderEntry({ ...e, session: 's1' }).Session, 's1');
  });
  it('decodes strict standard base64 only', () => {
    assert.equal(decodeBase64('aGVsbG8=').toString(), 'hello');
    assert.equal(message(() => decodeBase64('aGk*')), 'Failed to parse body: illegal base64 data at input byte 3');
    assert.match(message(() => decodeBase64('aGk')), /illegal base64 data/);
  });
});

describe('txn body decoding', () => {
  it('reads KV ops case-insensitively and drops empty elements', () => {
    const els = decodeTxnBody(JSON.stringify([{ kv: { verb: 'set', key: 'a', value: 'aGk=', flags: 2 } }, {}, { KV: { Verb: 'cas', Key: 'b', Index: 9 } }]), KV_VERBS);
    assert.equal(els.length, 2);
    const [a, b] = els;
    assert.ok(a?.kind === 'kv' && b?.kind === 'kv');
    assert.equal(a.op.value?.toString(), 'hi');
    assert.equal(a.op.flags, 2);
    assert.equal(b.op.index, 9);
  });
  it('marks unknown verbs and non-KV operations', () => {
    const els = decodeTxnBody(JSON.stringify([{ KV: { Verb: 'frob', Key: 'a' } }, { Node: { Verb: 'get', Node: { Node: 'n' } } }]), KV_VERBS);
    assert.deepEqual(els.map((e) => e.kind), ['unknown-verb', 'unsupported']);
  });
  it("refuses bad bodies and limits with Consul's texts", () => {
    assert.match(message(() => decodeTxnBody('{', KV_VERBS)), /^Failed to parse body: /);
    assert.match(message(() => decodeTxnBody('{}', KV_VERBS)), /^Failed to parse body: json: cannot unmarshal object/);
    const many = JSON.stringify(Array.from({ length: 129 }, () => ({ KV: { Verb: 'get', Key: 'a' } })));
    assert.equal(message(() => decodeTxnBody(many, KV_VERBS)), 'Transaction contains too many operations (129 > 128)');
    const big = JSON.stringify([{ KV: { Verb: 'set', Key: 'big', Value: Buffer.alloc(524289).toString('base64') } }]);
    assert.equal(message(() => decodeTxnBody(big, KV_VERBS)), 'Value for key "big" is too large (524289 > 524288 bytes)');
    assert.match(message(() => decodeTxnBody(JSON.stringify([{ KV: { Verb: 'set', Key: 'a', Flags: 'x' } }]), KV_VERBS)), /cannot unmarshal string .*Flags of type uint64/);
  });
});
