// `isthmus agent`: runs a server until SIGINT/SIGTERM. The one command that starts server code.
import { createLogger } from '../../lib/log.js';
import { Agent } from '../../server/agent.js';
import { readConfigFile, resolveAgentConfig } from '../../server/config/load.js';
import { CONFIG_FIELDS } from '../../server/config/schema.js';
import type { Command, FlagSpec } from '../command.js';

const flags: Record<string, FlagSpec> = {
  'config-file': { type: 'string', doc: 'JSON configuration file (unknown keys are rejected).' },
};
for (const f of CONFIG_FIELDS) {
  if (f.flag) flags[f.flag] = { type: f.type === 'bool' ? 'boolean' : 'string', doc: f.doc };
}

export const agentCommand: Command = {
  path: ['agent'],
  local: true,
  summary: 'Run an Isthmus server',
  usage: 'isthmus agent [--dev] [--datacenter DC] [--node NAME] [--data-dir DIR] [--bind ADDR] [--http-port N] [--grpc-tls-port N] [--dns-port N] [--config-file FILE] [--log-level LEVEL] [--log-json] [--ui]',
  flags,
  async run({ flags: f }, ctx) {
    const file = typeof f['config-file'] === 'string' ? readConfigFile(f['config-file']) : {};
    const cliFlags: Record<string, string | boolean | undefined> = {};
    for (const [k, v] of Object.entries(f)) if (k !== 'config-file' && !Array.isArray(v)) cliFlags[k] = v;
    const config = resolveAgentConfig({ flags: cliFlags, env: ctx.env, file });
    const log = createLogger({ level: config.logLevel, json: config.logJson });
    const agent = await Agent.create(config, { log });
    try {
      await agent.start();
    } catch (err) {
      // Whatever did start (listeners, timers, the store) is closed before reporting the failure.
      await agent.stop().catch(() => undefined);
      throw err;
    }
    const { http, grpcTls, dns } = agent.addresses;
    ctx.out(
      [
        '==> Isthmus agent running!',
        `    Version: ${(await import('../../version.js')).VERSION}`,
        `    Node name: ${config.nodeName}`,
        `    Datacenter: ${config.datacenter}`,
        `    Store: ${config.etcd ? `etcd ${config.etcd.endpoints.join(',')} (prefix ${config.etcd.prefix})` : config.dev && !config.dataDir ? 'memory (dev mode)' : `sqlite in ${config.dataDir}`}`,
        `    HTTP API: http://${http.host}:${http.port}`,
        ...(config.ui.enabled ? [`    UI: http://${http.host}:${http.port}/ui/`] : []),
        `    gRPC TLS: ${grpcTls.host}:${grpcTls.port} (server name ${agent.grpc.serverName})`,
        `    DNS: ${dns.host}:${dns.port} (udp and tcp, domain ${config.domain})`,
        '',
      ].join('\n'),
    );
    log.info('agent started', { http: `${http.host}:${http.port}`, grpcTls: `${grpcTls.host}:${grpcTls.port}`, datacenter: config.datacenter, node: config.nodeName });
    await new Promise<void>((resolve) => {
      const onSignal = (sig: string): void => {
        log.info('caught signal, shutting down', { signal: sig });
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    await agent.stop();
    return 0;
  },
};
