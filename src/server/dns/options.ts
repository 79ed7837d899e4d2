// The agent's dns_config as the answer logic wants it (seconds, not milliseconds).
import type { AgentConfig } from '../config/schema.js';
import type { DnsOptions } from './answer.js';

export function dnsAnswerOptions(config: Pick<AgentConfig, 'dns'>): DnsOptions {
  const d = config.dns;
  return {
    nodeTtl: Math.floor(d.nodeTtlMs / 1000),
    serviceTtl: Object.fromEntries(Object.entries(d.serviceTtlMs).map(([k, ms]) => [k, Math.floor(ms / 1000)])),
    onlyPassing: d.onlyPassing,
    aRecordLimit: d.aRecordLimit,
    enableAdditionalNodeMetaTxt: d.enableAdditionalNodeMetaTxt,
    soa: { ...d.soa },
  };
}
