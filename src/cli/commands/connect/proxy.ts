// `isthmus connect proxy --sidecar-for <service-id>`: runs a service's sidecar proxy. Injected pods name the
// proxy with `-proxy-service-id-path` (written by connect-init) and `-node-name` (their catalog node).
import { readFileSync } from 'node:fs';
import { createLogger, type LogLevel } from '../../../lib/log.js';
import { SidecarProxy } from '../../../proxy/sidecar/sidecar.js';
import { UsageError, type Command } from '../../command.js';
import { credentialsFromFlags, LOGIN_FLAGS } from './login-flags.js';
import { untilSignal } from './run-until-signal.js';
import { parseExpose, type ExposeListener } from '../../../proxy/sidecar/expose.js';

export const connectProxyCommand: Command = {
  path: ['connect', 'proxy'],
  summary: 'Run the sidecar proxy of a registered service',
  usage: 'isthmus connect proxy (--sidecar-for SERVICE_ID | -proxy-service-id-path FILE [-node-name NODE]) [--bind ADDR] [--refresh-interval-ms N] [--log-level LEVEL] [-login-auth-method NAME [-login-bearer-token-path F] [-login-meta k=v]... [-login-datacenter DC]]',
  flags: {
    'sidecar-for': { type: 'string', doc: 'ID of the service whose sidecar (<id>-sidecar-proxy) this runs.' },
    'proxy-service-id-path': { type: 'string', doc: 'File holding the proxy service ID (as consul-dataplane; written by `isthmus k8s connect-init`).' },
    'node-name': { type: 'string', doc: 'Catalog node holding the proxy registration (agentless; default: the agent).' },
    'expose-listener': { type: 'string', multiple: true, doc: 'PORT:APP_PORT: a plain listener forwarded to the app (Kubernetes HTTP probes moved by the injector). Repeatable.' },
    bind: { type: 'string', doc: 'Address of the inbound listener (default: the proxy’s registered address or 127.0.0.1).' },
    'refresh-interval-ms': { type: 'string', doc: 'How often certificates and peer bundles are re-read (default 5000).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
    ...LOGIN_FLAGS,
  },
  async run({ flags }, ctx) {
    const idPath = typeof flags['proxy-service-id-path'] === 'string' && flags['proxy-service-id-path'] !== '' ? flags['proxy-service-id-path'] : undefined;
    let proxyId: string | undefined;
    if (idPath) {
      try {
        proxyId = readFileSync(idPath, 'utf8').trim();
      } catch (err) {
        throw new UsageError(`Unable to read the proxy service ID from ${idPath}: ${(err as Error).message}`);
      }
      if (!proxyId) throw new UsageError(`The proxy service ID file ${idPath} is empty`);
    }
    const id = proxyId ? proxyId.replace(/-sidecar-proxy$/, '') : flags['sidecar-for'];
    if (typeof id !== 'string' || id === '') throw new UsageError('Missing the required -sidecar-for flag');
    const nodeName = typeof flags['node-name'] === 'string' && flags['node-name'] !== '' ? flags['node-name'] : undefined;
    const expose: ExposeListener[] = [];
    for (const e of Array.isArray(flags['expose-listener']) ? (flags['expose-listener'] as string[]) : typeof flags['expose-listener'] === 'string' ? [flags['expose-listener']] : []) {
      const parsed = parseExpose(e);
      if (!parsed) throw new UsageError(`-expose-listener must be PORT:APP_PORT, got ${JSON.stringify(e)}`);
      expose.push(parsed);
    }
    const refresh = typeof flags['refresh-interval-ms'] === 'string' ? Number(flags['refresh-interval-ms']) : undefined;
    if (refresh !== undefined && !(refresh > 0)) throw new UsageError('--refresh-interval-ms must be a positive number');
    const log = createLogger({ level: (flags['log-level'] as LogLevel | undefined) ?? 'info' }).child({ component: 'proxy', service: id });
    const creds = await credentialsFromFlags(flags, ctx, { onRetry: (err) => log.warn('login: server not reachable yet, retrying', { error: err.message }) });
    if (creds.session) log.info('logged in', { authMethod: flags['login-auth-method'], accessorId: creds.session.token.AccessorID });
    const proxy = new SidecarProxy({ client: creds.client, log }, { sidecarFor: id, ...(refresh ? { refreshMs: refresh } : {}), ...(typeof flags.bind === 'string' ? { bind: flags.bind } : {}), ...(proxyId ? { proxyId } : {}), ...(nodeName ? { nodeName } : {}), ...(expose.length ? { expose } : {}) });
    let ports;
    try {
      ports = await proxy.start();
    } catch (err) {
      await creds.release((m) => log.warn(m));
      throw err;
    }
    const lines = Object.entries(ports.upstreams).map(([n, p]) => `    Upstream ${n}: 127.0.0.1:${p}`);
    if (ports.transparent !== undefined) lines.push(`    Transparent outbound: 127.0.0.1:${ports.transparent}`);
    // Signal handlers first: a SIGTERM sent as soon as "running" is read must still stop cleanly (and log out).
    const signalled = untilSignal();
    ctx.out(`==> Sidecar proxy for "${id}" running\n    Inbound mTLS: port ${ports.inbound}\n${lines.join('\n')}`);
    await signalled;
    try {
      await proxy.stop();
    } finally {
      await creds.release((m) => log.warn(m));
    }
  },
};
