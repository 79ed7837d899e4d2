import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CatalogReader } from '../catalog/state.js';
import { answerVirtual, parseVirtualName, type VirtualDnsContext } from './virtual.js';

const vips: Record<string, string> = { '/web': '240.0.0.1', 'east/backend': '240.0.0.3' };
const ctx = (canRead = true): VirtualDnsContext => ({
  reader: {} as CatalogReader,
  domain: 'consul',
  datacenter: 'dc1',
  canReadService: () => canRead,
  canReadNode: () => true,
  virtualIp: (peer, svc) => vips[`${peer}/${svc}`],
});

test('parses the virtual forms: local, unlabeled peer and labeled peer', () => {
  assert.deepEqual(parseVirtualName('web.virtual.consul.', 'consul'), { service: 'web', peer: '' });
  assert.deepEqual(parseVirtualName('backend.virtual.east.consul', 'consul'), { service: 'backend', peer: 'east' });
  assert.deepEqual(parseVirtualName('backend.virtual.east.peer.consul', 'consul'), { service: 'backend', peer: 'east' });
  assert.equal(parseVirtualName('web.service.consul', 'consul'), undefined);
  assert.equal(parseVirtualName('a.b.virtual.consul', 'consul'), undefined);
});

test('answers an A record with the VIP; unknown names are NXDOMAIN; ACL denial is REFUSED', () => {
  assert.deepEqual(answerVirtual('web.virtual.consul.', 'A', ctx())?.answers, [{ name: 'web.virtual.consul.', type: 'A', ttl: 0, data: '240.0.0.1' }]);
  assert.equal(answerVirtual('backend.virtual.east.consul', 'A', ctx())?.answers[0]?.data, '240.0.0.3');
  assert.equal(answerVirtual('backend.virtual.east.peer.consul', 'A', ctx())?.answers[0]?.data, '240.0.0.3');
  assert.equal(answerVirtual('backend.virtual.consul', 'A', ctx())?.rcode, 'NXDOMAIN');
  assert.equal(answerVirtual('web.virtual.consul', 'AAAA', ctx())?.answers.length, 0);
  assert.equal(answerVirtual('web.virtual.consul', 'A', ctx(false))?.rcode, 'REFUSED');
  assert.equal(answerVirtual('web.service.consul', 'A', ctx()), undefined);
});
