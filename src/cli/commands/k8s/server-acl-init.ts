// `isthmus k8s server-acl-init`: the chart's ACL bootstrap Job (consul-k8s's command and flag names). The work is
// in src/k8s/acl-init.ts; this file maps flags.
import { parseGoDuration } from '../../../lib/duration.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../../../lib/log.js';
import { IsthmusClient } from '../../../sdk/client.js';
import { DEFAULT_AUTH_METHOD_HOST, DEFAULT_BINDING_RULE_SELECTOR } from '../../../k8s/acl-init-plan.js';
import { serverAclInit } from '../../../k8s/acl-init.js';
import { UsageError, type Command } from '../../command.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const k8sServerAclInitCommand: Command = {
  path: ['k8s', 'server-acl-init'],
  summary: 'Bootstrap the servers’ ACLs for Kubernetes: bootstrap token Secret, component policies and roles, kubernetes auth methods',
  usage: 'isthmus k8s server-acl-init -resource-prefix NAME -k8s-namespace NS [-server-address HOST [-server-port 8500]] [-connect-inject] [-mesh-gateway] [-enable-peering] [-allow-dns] [-auth-method-host URL] [-acl-binding-rule-selector SEL] [-timeout 10m] [-kubeconfig FILE]',
  flags: {
    'resource-prefix': { type: 'string', doc: 'Prefix of every name (the chart’s <fullname>), e.g. consul.' },
    'k8s-namespace': { type: 'string', doc: 'Namespace of the Secrets read and written (default $NAMESPACE).' },
    'server-address': { type: 'string', doc: 'Host of the servers’ HTTP API (default: -http-addr / CONSUL_HTTP_ADDR).' },
    'server-port': { type: 'string', doc: 'HTTP port of the servers (default 8500).' },
    'connect-inject': { type: 'boolean', doc: 'Create the workload auth method <prefix>-k8s-auth-method, its binding rule, and the controller’s policy and role.' },
    'mesh-gateway': { type: 'boolean', doc: 'Create the mesh gateway’s policy and role.' },
    'allow-dns': { type: 'boolean', doc: 'Give the anonymous token read access to nodes and services (DNS queries carry no token).' },
    'enable-peering': { type: 'boolean', doc: 'Grant peering: write to the controller and peering: read to mesh gateways.' },
    'auth-method-host': { type: 'string', doc: 'Kubernetes API address the auth methods call for TokenReview (default https://kubernetes.default.svc).' },
    'acl-binding-rule-selector': { type: 'string', doc: 'Selector of the workload binding rule (default serviceaccount.name!=default).' },
    timeout: { type: 'string', doc: 'How long to wait for the server and the auth-method token before failing (default 10m).' },
    kubeconfig: { type: 'string', doc: 'Kubeconfig file (default $KUBECONFIG, then the in-cluster service account).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
    'log-json': { type: 'boolean', doc: 'Log JSON lines.' },
    // consul-k8s flags accepted for compatibility.
    'secrets-backend': { type: 'string', doc: 'Where the bootstrap token is kept: only "kubernetes" (the default).' },
    'set-server-tokens': { type: 'boolean', doc: 'Accepted for consul-k8s compatibility; isthmus servers need no agent tokens.' },
  },
  async run({ flags }, ctx) {
    const prefix = str(flags['resource-prefix']);
    if (!prefix) throw new UsageError('-resource-prefix must be set');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix)) throw new UsageError('-resource-prefix must be a DNS label (lower-case letters, digits and "-")');
    const namespace = str(flags['k8s-namespace']) ?? str(ctx.env.NAMESPACE);
    if (!namespace) throw new UsageError('-k8s-namespace must be set');
    const level = (str(flags['log-level']) ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`-log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const timeoutMs = parseGoDuration(str(flags.timeout) ?? '10m');
    if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError('-timeout must be a positive duration such as 10m');
    const backend = str(flags['secrets-backend']) ?? 'kubernetes';
    if (backend !== 'kubernetes') throw new UsageError(`-secrets-backend ${JSON.stringify(backend)} is not supported: only "kubernetes"`);
    const port = str(flags['server-port']) ?? '8500';
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError('-server-port must be a port number');
    const host = str(flags['server-address']);
    const authHost = str(flags['auth-method-host']);
    if (authHost !== undefined && !/^https?:\/\/[^/\s]+/.test(authHost)) throw new UsageError('-auth-method-host must be a URL such as https://kubernetes.default.svc');

    // Loaded here: @kubernetes/client-node is heavy, and every other CLI command would pay for it.
    const { kubeApi, loadKubeConfig } = await import('../../../k8s/kube.js');
    const kubeconfig = str(flags.kubeconfig) ?? str(ctx.env.KUBECONFIG);
    let kube;
    try {
      kube = kubeApi(loadKubeConfig(kubeconfig, str(ctx.env.KUBERNETES_SERVICE_HOST)));
    } catch (err) {
      throw new Error(kubeconfig ? `cannot load kubeconfig ${JSON.stringify(kubeconfig)}: ${(err as Error).message}` : `no -kubeconfig or $KUBECONFIG, and not running in a cluster: ${(err as Error).message}`);
    }
    const client = host ? new IsthmusClient({ address: `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}` }) : ctx.client().withToken('');
    const log = createLogger({ level, json: flags['log-json'] === true }).child({ component: 'server-acl-init' });
    await serverAclInit(
      { kube, client, log, namespace, timeoutMs },
      {
        resourcePrefix: prefix,
        enablePeering: flags['enable-peering'] === true,
        allowDns: flags['allow-dns'] === true,
        connectInject: flags['connect-inject'] === true,
        meshGateway: flags['mesh-gateway'] === true,
        authMethodHost: authHost ?? DEFAULT_AUTH_METHOD_HOST,
        bindingRuleSelector: str(flags['acl-binding-rule-selector']) ?? DEFAULT_BINDING_RULE_SELECTOR,
      },
    );
    ctx.out('server-acl-init completed successfully');
    return 0;
  },
};
