// Table tests of the pure intention matcher: precedence, peers, wildcards, defaults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, IntentionIndex } from './match.js';
import { intentionPrecedence } from './precedence.js';
import type { Intention } from './types.js';

function ixn(src: string, dst: string, action: string, peer = '', permissions: unknown[] = []): Intention {
  return { ID: '', Description: '', SourceName: src, SourcePeer: peer, DestinationName: dst, SourceType: 'consul', Action: action, Permissions: permissions, Meta: {}, Precedence: intentionPrecedence(src, dst), CreateIndex: 1, ModifyIndex: 1 };
}

describe('intentionPrecedence', () => {
  const table: [string, string, number][] = [
    ['web', 'db', 9],
    ['*', 'db', 8],
    ['web', '*', 6],
    ['*', '*', 5],
  ];
  for (const [s, d, p] of table) it(`gives ${s} → ${d} precedence ${p}`, () => assert.equal(intentionPrecedence(s, d), p));
});

describe('decide()', () => {
  const index = new IntentionIndex([
    ixn('*', '*', 'deny'),
    ixn('web', '*', 'allow'),
    ixn('*', 'db', 'deny'),
    ixn('web', 'db', 'allow'),
    ixn('api', 'db', 'deny'),
    ixn('web', 'db', 'deny', 'west'),
    ixn('*', 'db', 'allow', 'east'),
    ixn('web', 'cache', 'allow', 'west'),
    ixn('ops', 'admin', '', '', [{ Action: 'allow', HTTP: { PathPrefix: '/' } }]),
  ]);
  const table: [string, { name: string; peer?: string }, string, boolean, boolean][] = [
    // [case, source, destination, defaultAllow, expected]
    ['exact beats destination wildcard', { name: 'web' }, 'db', false, true],
    ['exact deny', { name: 'api' }, 'db', true, false],
    ['source wildcard on exact destination', { name: 'other' }, 'db', true, false],
    ['exact source on wildcard destination', { name: 'web' }, 'anything', false, true],
    ['wildcard to wildcard', { name: 'other' }, 'anything', true, false],
    ['a local intention never matches a peer caller', { name: 'web', peer: 'west' }, 'db', true, false],
    ['a peer intention matches that peer', { name: 'web', peer: 'west' }, 'cache', false, true],
    ['a peer wildcard matches any service of that peer', { name: 'zzz', peer: 'east' }, 'db', false, true],
    ['the same name from another peer is not matched', { name: 'web', peer: 'north' }, 'cache', false, false],
    ['L7 intentions count as deny for a plain check', { name: 'ops' }, 'admin', true, false],
  ];
  for (const [name, src, dst, dflt, expected] of table) {
    it(`${name}`, () => assert.equal(decide(index, src, dst, { defaultAllow: dflt }), expected));
  }

  it('falls back to the default policy when nothing matches', () => {
    const empty = new IntentionIndex([]);
    assert.equal(decide(empty, { name: 'a' }, 'b', { defaultAllow: true }), true);
    assert.equal(decide(empty, { name: 'a' }, 'b', { defaultAllow: false }), false);
  });

  it('can make unmatched peer callers deny even under allow-by-default', () => {
    const empty = new IntentionIndex([]);
    assert.equal(decide(empty, { name: 'a', peer: 'west' }, 'b', { defaultAllow: true, peersFollowDefault: false }), false);
    assert.equal(decide(empty, { name: 'a' }, 'b', { defaultAllow: true, peersFollowDefault: false }), true);
  });

  it('tells two peers importing the same service name apart', () => {
    const idx = new IntentionIndex([ixn('web', 'db', 'allow', 'west'), ixn('web', 'db', 'deny', 'east')]);
    assert.equal(decide(idx, { name: 'web', peer: 'west' }, 'db', { defaultAllow: false }), true);
    assert.equal(decide(idx, { name: 'web', peer: 'east' }, 'db', { defaultAllow: true }), false);
  });

  it('lists intentions for a destination in precedence order', () => {
    const list = index.forDestination('db').map((i) => `${i.SourcePeer}/${i.SourceName}->${i.DestinationName}`);
    assert.deepEqual(list.slice(0, 3), ['/api->db', '/web->db', 'west/web->db']);
    assert.equal(list[list.length - 1], '/*->*');
  });
});
