// `isthmus k8s controller`: the peering and config-entry controllers, the CRD admission webhooks and the
// connect-inject webhook for pods.
import { readFileSync } from 'node:fs';
import { parseGoDuration } from '../../../lib/duration.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../../../lib/log.js';
import { UsageError, type Command } from '../../command.js';
import { credentialsFromFlags, LOGIN_FLAGS } from '../connect/login-flags.js';
import { untilSignal } from '../connect/run-until-signal.js';
import { VERSION } from '../../../version.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const k8sControllerCommand: Command = {
  path: ['k8s', 'controller'],
  summary: 'Run the Kubernetes controller (PeeringAcceptor/PeeringDialer, config-entry CRDs, endpoints sync, admission webhooks)',
  usage: 'isthmus k8s controller [--kubeconfig FILE] [--http-addr ADDR] [--namespace NS] [--enable-peering=true|false] [--webhook-addr HOST:PORT --webhook-tls-cert-file F --webhook-tls-key-file F] [--default-inject=true|false] [--enable-transparent-proxy=true|false] [--transparent-proxy-default-overwrite-probes=true|false] [--isthmus-image IMAGE] [--inject-http-addr ADDR] [--allow-k8s-namespace NS]... [--deny-k8s-namespace NS]... [--acl-auth-method NAME] [-login-auth-method NAME [-login-bearer-token-path F] [-login-meta k=v]... [-login-datacenter DC]]',
  flags: {
    kubeconfig: { type: 'string', doc: 'Kubeconfig file (default $KUBECONFIG, then the in-cluster service account).' },
    namespace: { type: 'string', doc: 'Namespace to watch (default: all namespaces).' },
    'enable-peering': { type: 'string', doc: 'Run the PeeringAcceptor and PeeringDialer controllers and webhooks: true or false (default true).' },
    'webhook-addr': { type: 'string', doc: 'HTTPS address of the admission webhooks, host:port (off when not given).' },
    'webhook-tls-cert-file': { type: 'string', doc: 'Serving certificate (PEM) of the webhooks.' },
    'webhook-tls-key-file': { type: 'string', doc: 'Private key (PEM) of the webhooks.' },
    'default-inject': { type: 'string', doc: 'Inject pods without the connect-inject annotation: true or false (default false; Helm connectInject.default).' },
    'enable-transparent-proxy': { type: 'string', doc: 'Transparent proxy for injected pods unless their annotation or namespace label says otherwise: true or false (default true).' },
    'isthmus-image': { type: 'string', doc: `Image of the injected init container and sidecar (default ghcr.io/isthmus/isthmus:${VERSION}).` },
    'inject-http-addr': { type: 'string', doc: 'Server HTTP address given to injected containers (default: this controller\'s --http-addr).' },
    'transparent-proxy-default-overwrite-probes': { type: 'string', doc: 'Move HTTP probes of transparent-proxy pods to ports their sidecar forwards, unless annotated otherwise: true or false (default true).' },
    'allow-k8s-namespace': { type: 'string', multiple: true, doc: 'Namespace whose pods may be injected; `*` for all (default). Repeatable.' },
    'deny-k8s-namespace': { type: 'string', multiple: true, doc: 'Namespace whose pods are never injected (wins over the allow list). Repeatable.' },
    'acl-auth-method': { type: 'string', doc: 'With managed ACLs: the auth method injected containers log in with (their service account must match the service name); the endpoints controller deletes the login tokens of pods that are gone.' },
    'resync-period': { type: 'string', doc: 'How often every resource is reconciled again, as a duration (default 30s).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
    ...LOGIN_FLAGS,
  },
  async run({ flags }, ctx) {
    const level = (str(flags['log-level']) ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const peeringFlag = str(flags['enable-peering']) ?? 'true';
    if (peeringFlag !== 'true' && peeringFlag !== 'false') throw new UsageError('--enable-peering must be true or false');
    const resyncMs = parseGoDuration(str(flags['resync-period']) ?? '30s');
    if (resyncMs === undefined || resyncMs <= 0) throw new UsageError('--resync-period must be a positive duration such as 30s');
    const bool = (name: string, dflt: boolean): boolean => {
      const v = str(flags[name]);
      if (v === undefined) return dflt;
      if (v !== 'true' && v !== 'false') throw new UsageError(`--${name} must be true or false`);
      return v === 'true';
    };
    const defaultInject = bool('default-inject', false);
    const tproxyDefault = bool('enable-transparent-proxy', true);
    const overwriteProbesDefault = bool('transparent-proxy-default-overwrite-probes', true);
    const webhookAddr = str(flags['webhook-addr']);
    const certFile = str(flags['webhook-tls-cert-file']);
    const keyFile = str(flags['webhook-tls-key-file']);
    if (webhookAddr && (!certFile || !keyFile)) throw new UsageError('--webhook-addr needs --webhook-tls-cert-file and --webhook-tls-key-file');
    const wh = webhookAddr ? /^(.*):(\d+)$/.exec(webhookAddr) : null;
    if (webhookAddr && !wh) throw new UsageError('--webhook-addr must be HOST:PORT');

    // --http-addr / CONSUL_HTTP_ADDR, --token / CONSUL_HTTP_TOKEN and the TLS flags, as every command reads them.
    const log = createLogger({ level }).child({ component: 'k8s-controller' });
    // Loaded here, not at the top: @kubernetes/client-node is heavy, and every other CLI command would pay for it.
    const { kubeApi, loadKubeConfig } = await import('../../../k8s/kube.js');
    const { Controller } = await import('../../../k8s/controller.js');
    const { WebhookServer } = await import('../../../k8s/webhook.js');
    const kubeconfig = str(flags.kubeconfig) ?? str(ctx.env.KUBECONFIG);
    let kube;
    try {
      kube = kubeApi(loadKubeConfig(kubeconfig, str(ctx.env.KUBERNETES_SERVICE_HOST)));
    } catch (err) {
      throw new Error(kubeconfig ? `cannot load kubeconfig ${JSON.stringify(kubeconfig)}: ${(err as Error).message}` : `no --kubeconfig or $KUBECONFIG, and not running in a cluster: ${(err as Error).message}`);
    }

    // With -login-auth-method (managed ACLs: the component auth method), the controller's token comes from a login
    // with its service-account token; the server may come up after the controller, so the login waits for it.
    const creds = await credentialsFromFlags(flags, ctx, { retryForMs: 10 * 60_000, onRetry: (err) => log.warn('login: waiting for the server', { error: err.message }) });
    if (creds.session) log.info('logged in', { authMethod: flags['login-auth-method'], accessorId: creds.session.token.AccessorID });
    // Logged out whatever happens next (a failed start included), so no login token outlives the process.
    try {
      const server = creds.client;
      const address = server.address;

      // The server may start after the controller (as pods do): wait for it, saying so.
      let datacenter = '';
      for (let attempt = 0; !datacenter; attempt++) {
        try {
          datacenter = (await server.self()).Config.Datacenter;
        } catch (err) {
          if (attempt % 10 === 0) log.warn('waiting for the server', { address, error: (err as Error).message });
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      const controller = new Controller({ kube, server, log, datacenter, enablePeering: peeringFlag === 'true', resyncMs, ...(str(flags.namespace) ? { namespace: str(flags.namespace) } : {}) });
      let webhook: InstanceType<typeof WebhookServer> | undefined;
      if (wh) {
        const authMethod = str(flags['acl-auth-method']);
      const many = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);
      const allow = many(flags['allow-k8s-namespace']);
      const deny = many(flags['deny-k8s-namespace']);
      const namespaceLists = { ...(allow.length ? { allowNamespaces: allow } : {}), ...(deny.length ? { denyNamespaces: deny } : {}) };
        const inject = { image: str(flags['isthmus-image']) ?? `ghcr.io/isthmus/isthmus:${VERSION}`, serverAddr: str(flags['inject-http-addr']) ?? address, defaultInject, tproxyDefault, overwriteProbesDefault, ...(authMethod ? { authMethod } : {}), ...namespaceLists };
        webhook = new WebhookServer({ kube, log, cert: readFileSync(certFile as string, 'utf8'), key: readFileSync(keyFile as string, 'utf8'), host: wh[1] as string, port: Number(wh[2]), enablePeering: peeringFlag === 'true', inject });
        const bound = await webhook.start();
        ctx.out(`==> Admission webhooks: https://${bound.host}:${bound.port}`);
      }
      await controller.start();
      const endpoints = await (await import('../../../k8s/endpoints/controller.js')).startEndpointsController({ kube, server, log, resyncMs, ...(str(flags.namespace) ? { namespace: str(flags.namespace) } : {}), ...(str(flags['acl-auth-method']) ? { authMethod: str(flags['acl-auth-method']) } : {}) });
      // Signal handlers first: a SIGTERM sent as soon as "running" is read must still stop cleanly (and log out).
      const signalled = untilSignal();
      ctx.out(`==> Kubernetes controller running (server ${address}, datacenter ${datacenter})`);
      await signalled;
      await endpoints.stop();
      await controller.stop();
      await webhook?.stop();
    } finally {
      await creds.release((m) => log.warn(m));
    }
  },
};
