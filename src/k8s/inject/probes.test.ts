import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overwriteProbes } from './probes.js';
import type { Container } from './plan.js';

describe('overwriteProbes', () => {
  it('moves HTTP probes to 20300/20400/20500 + the container index, resolving named ports; other probes stay', () => {
    const cs: Container[] = [
      { name: 'a', ports: [{ name: 'http', containerPort: 8080 }], livenessProbe: { httpGet: { path: '/live', port: 'http' } }, readinessProbe: { tcpSocket: { port: 8080 } } },
      { name: 'b', readinessProbe: { httpGet: { path: '/ready', port: 9090 } }, startupProbe: { httpGet: { path: '/s', port: '9091' } } },
    ];
    assert.deepEqual(overwriteProbes(cs), { excludeInbound: ['20300', '20401', '20501'], expose: ['20300:8080', '20401:9090', '20501:9091'] });
    assert.deepEqual(cs[0]?.livenessProbe, { httpGet: { path: '/live', port: 20300 } });
    assert.deepEqual(cs[0]?.readinessProbe, { tcpSocket: { port: 8080 } });
    assert.deepEqual(cs[1]?.readinessProbe, { httpGet: { path: '/ready', port: 20401 } });
    assert.deepEqual(overwriteProbes([{ name: 'c', livenessProbe: { httpGet: { port: 'nope' } } }]), { excludeInbound: [], expose: [] });
  });
});
