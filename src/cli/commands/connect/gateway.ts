// `isthmus connect gateway --kind mesh --register …`: runs a mesh gateway.
import { createLogger, type LogLevel } from '../../../lib/log.js';
import { MeshGateway } from '../../../proxy/mesh-gateway/gateway.js';
import { UsageError, type Command } from '../../command.js';
import { credentialsFromFlags, LOGIN_FLAGS } from './login-flags.js';
import { untilSignal } from './run-until-signal.js';

export const connectGatewayCommand: Command = {
  path: ['connect', 'gateway'],
  summary: 'Run a mesh gateway (routes mTLS traffic between peers by SNI)',
  usage: 'isthmus connect gateway --kind mesh [--register] [--service NAME] --address HOST:PORT [--wan-address HOST:PORT] [-login-auth-method NAME [-login-bearer-token-path F] [-login-meta k=v]... [-login-datacenter DC]]',
  flags: {
    kind: { type: 'string', doc: 'Gateway kind; only "mesh" is supported.' },
    register: { type: 'boolean', doc: 'Register the gateway in the catalog (and deregister on exit).' },
    service: { type: 'string', doc: 'Service name to register (default mesh-gateway).' },
    address: { type: 'string', doc: 'LAN address to listen on, host:port (port 0 picks one).' },
    'wan-address': { type: 'string', doc: 'Address peers reach this gateway at (default: the LAN address).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
    ...LOGIN_FLAGS,
  },
  async run({ flags }, ctx) {
    if (flags.kind !== 'mesh') throw new UsageError('--kind must be "mesh" (the only gateway kind supported)');
    const address = typeof flags.address === 'string' ? flags.address : '';
    if (!/^.+:\d+$/.test(address)) throw new UsageError('--address HOST:PORT is required');
    const wan = typeof flags['wan-address'] === 'string' ? flags['wan-address'] : '';
    if (wan && !/^.+:\d+$/.test(wan)) throw new UsageError('--wan-address must be HOST:PORT');
    const log = createLogger({ level: (flags['log-level'] as LogLevel | undefined) ?? 'info' }).child({ component: 'mesh-gateway' });
    const creds = await credentialsFromFlags(flags, ctx, { onRetry: (err) => log.warn('login: server not reachable yet, retrying', { error: err.message }) });
    if (creds.session) log.info('logged in', { authMethod: flags['login-auth-method'], accessorId: creds.session.token.AccessorID });
    const gw = new MeshGateway({ client: creds.client, log }, { service: typeof flags.service === 'string' ? flags.service : 'mesh-gateway', address, wanAddress: wan, register: flags.register === true });
    let bound;
    try {
      bound = await gw.start();
    } catch (err) {
      await creds.release((m) => log.warn(m));
      throw err;
    }
    // Signal handlers first: a SIGTERM sent as soon as "running" is read must still stop cleanly (and log out).
    const signalled = untilSignal();
    ctx.out(`==> Mesh gateway running\n    Listening: ${bound.host}:${bound.port}`);
    await signalled;
    try {
      await gw.stop();
    } finally {
      await creds.release((m) => log.warn(m));
    }
  },
};
