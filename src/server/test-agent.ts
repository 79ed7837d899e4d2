// Test support: an in-process agent on a memory store, driven through inject() (no ports bound).
import { SILENT_LOGGER } from '../lib/log.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { Agent } from './agent.js';
import { flattenConfigFile, resolveAgentConfig } from './config/load.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json: <T = unknown>() => T;
}

export interface TestAgent {
  agent: Agent;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  close(): Promise<void>;
}

export async function startTestAgent(
  options: { store?: Store; flags?: Record<string, string | boolean>; file?: Record<string, unknown>; listen?: boolean } = {},
): Promise<TestAgent> {
  const ports = options.listen ? { 'http-port': '0', 'grpc-tls-port': '0', 'dns-port': '0' } : {};
  const config = resolveAgentConfig({ flags: { dev: true, node: 'node1', ...ports, ...(options.flags ?? {}) }, file: flattenConfigFile(options.file ?? {}, 'test') });
  const agent = await Agent.create(config, { log: SILENT_LOGGER, store: options.store ?? new MemoryStore() });
  await agent.start({ listen: options.listen === true });
  return {
    agent,
    async request(method, url, body, headers) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await agent.http.inject({ method: method as 'GET', url, ...(payload !== undefined ? { payload } : {}), ...(headers ? { headers } : {}) });
      return { status: res.statusCode, headers: res.headers, body: res.body, json: <T>() => JSON.parse(res.body) as T };
    },
    close: () => agent.stop(),
  };
}
