// dns_config keys in the agent's config file: defaults, parsing and precise refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flattenConfigFile, resolveAgentConfig } from './load.js';

const resolve = (file: unknown) => resolveAgentConfig({ flags: { dev: true }, file: flattenConfigFile(file, 'agent.json') });

describe('dns_config', () => {
  it('defaults as Consul', () => {
    const c = resolve({});
    assert.deepEqual(c.dns, { udpAnswerLimit: 3, enableTruncate: false, disableCompression: false, aRecordLimit: 0, onlyPassing: false, nodeTtlMs: 0, serviceTtlMs: {}, enableAdditionalNodeMetaTxt: true, soa: { refresh: 3600, retry: 600, expire: 86400, minTtl: 0 } });
    assert.equal(c.altDomain, '');
  });

  it('reads every key', () => {
    const c = resolve({ alt_domain: 'isthmus', dns_config: { udp_answer_limit: 5, enable_truncate: true, disable_compression: true, a_record_limit: 2, only_passing: true, node_ttl: '10s', service_ttl: { '*': '5s', web: '1m' }, enable_additional_node_meta_txt: false, soa: { refresh: 1, retry: 2, expire: 100000, min_ttl: 4 } } });
    assert.deepEqual(c.dns, { udpAnswerLimit: 5, enableTruncate: true, disableCompression: true, aRecordLimit: 2, onlyPassing: true, nodeTtlMs: 10_000, serviceTtlMs: { '*': 5000, web: 60_000 }, enableAdditionalNodeMetaTxt: false, soa: { refresh: 1, retry: 2, expire: 100000, minTtl: 4 } });
    assert.equal(c.altDomain, 'isthmus');
  });

  it('refuses bad values and unknown keys with the key named', () => {
    assert.throws(() => resolve({ dns_config: { service_ttl: { web: 'soon' } } }), /config key "dns_config.service_ttl": "web": expected a duration like "30s", got "soon"/);
    assert.throws(() => resolve({ dns_config: { service_ttl: '5s' } }), /"dns_config.service_ttl": expected an object of durations/);
    assert.throws(() => resolve({ dns_config: { soa: { expire: -1 } } }), /"dns_config.soa.expire": expected a whole number 0-4294967295/);
    assert.throws(() => resolve({ dns_config: { recursors: ['1.1.1.1'] } }), /unknown key "dns_config.recursors"/);
  });
});
