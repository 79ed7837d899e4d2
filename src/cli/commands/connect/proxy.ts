// `isthmus connect proxy --sidecar-for <service-id>`: runs a service's sidecar proxy.
import { createLogger, type LogLevel } from '../../../lib/log.js';
import { SidecarProxy } from '../../../proxy/sidecar/sidecar.js';
import { UsageError, type Command } from '../../command.js';
import { credentialsFromFlags, LOGIN_FLAGS } from './login-flags.js';
import { untilSignal } from './run-until-signal.js';

export const connectProxyCommand: Command = {
  path: ['connect', 'proxy'],
  summary: 'Run the sidecar proxy of a registered service',
  usage: 'isthmus connect proxy --sidecar-for SERVICE_ID [--bind ADDR] [--refresh-interval-ms N] [--log-level LEVEL] [-login-auth-method NAME [-login-bearer-token-path F] [-login-meta k=v]... [-login-datacenter DC]]',
  flags: {
    'sidecar-for': { type: 'string', doc: 'ID of the service whose sidecar (<id>-sidecar-proxy) this runs.' },
    bind: { type: 'string', doc: 'Address of the inbound listener (default: the proxy’s registered address or 127.0.0.1).' },
    'refresh-interval-ms': { type: 'string', doc: 'How often certificates and peer bundles are re-read (default 5000).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
    ...LOGIN_FLAGS,
  },
  async run({ flags }, ctx) {
    const id = flags['sidecar-for'];
    if (typeof id !== 'string' || id === '') throw new UsageError('Missing the required -sidecar-for flag');
    const refresh = typeof flags['refresh-interval-ms'] === 'string' ? Number(flags['refresh-interval-ms']) : undefined;
    if (refresh !== undefined && !(refresh > 0)) throw new UsageError('--refresh-interval-ms must be a positive number');
    const log = createLogger({ level: (flags['log-level'] as LogLevel | undefined) ?? 'info' }).child({ component: 'proxy', service: id });
    const creds = await credentialsFromFlags(flags, ctx, { onRetry: (err) => log.warn('login: server not reachable yet, retrying', { error: err.message }) });
    if (creds.session) log.info('logged in', { authMethod: flags['login-auth-method'], accessorId: creds.session.token.AccessorID });
    const proxy = new SidecarProxy({ client: creds.client, log }, { sidecarFor: id, ...(refresh ? { refreshMs: refresh } : {}), ...(typeof flags.bind === 'string' ? { bind: flags.bind } : {}) });
    let ports;
    try {
      ports = await proxy.start();
    } catch (err) {
      await creds.release((m) => log.warn(m));
      throw err;
    }
    const lines = Object.entries(ports.upstreams).map(([n, p]) => `    Upstream ${n}: 127.0.0.1:${p}`);
    if (ports.transparent !== undefined) lines.push(`    Transparent outbound: 127.0.0.1:${ports.transparent}`);
    ctx.out(`==> Sidecar proxy for "${id}" running\n    Inbound mTLS: port ${ports.inbound}\n${lines.join('\n')}`);
    await untilSignal();
    try {
      await proxy.stop();
    } finally {
      await creds.release((m) => log.warn(m));
    }
  },
};
