import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_OFFSET, nextOffset, VIP_EXHAUSTED, vipFromOffset } from './alloc.js';

test('offsets map into 240.0.0.0/4; the first VIP is 240.0.0.1 and the last 255.255.255.254', () => {
  assert.equal(vipFromOffset(nextOffset(0, []).offset), '240.0.0.1');
  assert.equal(vipFromOffset(256), '240.0.1.0');
  assert.equal(vipFromOffset(MAX_OFFSET), '255.255.255.254');
});

test('freed offsets are reused (smallest first) before the counter advances', () => {
  assert.deepEqual(nextOffset(7, [5, 3]), { offset: 3, counter: 7, reused: true });
  assert.deepEqual(nextOffset(7, []), { offset: 8, counter: 8, reused: false });
});

test('past the last offset the allocation fails with Consul text', () => {
  assert.throws(() => nextOffset(MAX_OFFSET, []), new RegExp(VIP_EXHAUSTED));
  assert.equal(nextOffset(MAX_OFFSET - 1, []).offset, MAX_OFFSET);
});

test('manual VIPs must be IP literals', async () => {
  const { isIp } = await import('./alloc.js');
  for (const ok of ['10.96.0.12', '0.0.0.0', '::1', '2001:db8::5']) assert.ok(isIp(ok), ok);
  for (const bad of ['nope', '10.0.0.256', '01.2.3.4', '1.2.3', 'fe80::1::2', '']) assert.ok(!isIp(bad), bad);
});
