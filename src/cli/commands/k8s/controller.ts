// `isthmus k8s controller`: the peering and config-entry controllers and the CRD admission webhooks.
import { readFileSync } from 'node:fs';
import { parseGoDuration } from '../../../lib/duration.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../../../lib/log.js';
import { Controller } from '../../../k8s/controller.js';
import { kubeApi, loadKubeConfig } from '../../../k8s/kube.js';
import { WebhookServer } from '../../../k8s/webhook.js';
import { IsthmusClient } from '../../../sdk/client.js';
import { UsageError, type Command } from '../../command.js';
import { untilSignal } from '../connect/run-until-signal.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const k8sControllerCommand: Command = {
  path: ['k8s', 'controller'],
  summary: 'Run the Kubernetes controller (PeeringAcceptor/PeeringDialer, config-entry CRDs, admission webhooks)',
  usage: 'isthmus k8s controller [--kubeconfig FILE] [--http-addr ADDR] [--namespace NS] [--enable-peering=true|false] [--webhook-addr HOST:PORT --webhook-tls-cert-file F --webhook-tls-key-file F]',
  flags: {
    kubeconfig: { type: 'string', doc: 'Kubeconfig file (default $KUBECONFIG, then the in-cluster service account).' },
    namespace: { type: 'string', doc: 'Namespace to watch (default: all namespaces).' },
    'enable-peering': { type: 'string', doc: 'Run the PeeringAcceptor and PeeringDialer controllers and webhooks: true or false (default true).' },
    'webhook-addr': { type: 'string', doc: 'HTTPS address of the admission webhooks, host:port (off when not given).' },
    'webhook-tls-cert-file': { type: 'string', doc: 'Serving certificate (PEM) of the webhooks.' },
    'webhook-tls-key-file': { type: 'string', doc: 'Private key (PEM) of the webhooks.' },
    'resync-period': { type: 'string', doc: 'How often every resource is reconciled again, as a duration (default 30s).' },
    'log-level': { type: 'string', doc: 'trace, debug, info, warn or error.' },
  },
  async run({ flags }, ctx) {
    const level = (str(flags['log-level']) ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const peeringFlag = str(flags['enable-peering']) ?? 'true';
    if (peeringFlag !== 'true' && peeringFlag !== 'false') throw new UsageError('--enable-peering must be true or false');
    const resyncMs = parseGoDuration(str(flags['resync-period']) ?? '30s');
    if (resyncMs === undefined || resyncMs <= 0) throw new UsageError('--resync-period must be a positive duration such as 30s');
    const webhookAddr = str(flags['webhook-addr']);
    const certFile = str(flags['webhook-tls-cert-file']);
    const keyFile = str(flags['webhook-tls-key-file']);
    if (webhookAddr && (!certFile || !keyFile)) throw new UsageError('--webhook-addr needs --webhook-tls-cert-file and --webhook-tls-key-file');
    const wh = webhookAddr ? /^(.*):(\d+)$/.exec(webhookAddr) : null;
    if (webhookAddr && !wh) throw new UsageError('--webhook-addr must be HOST:PORT');

    let address = str(flags['http-addr']) ?? ctx.env.CONSUL_HTTP_ADDR ?? ctx.env.ISTHMUS_HTTP_ADDR ?? 'http://127.0.0.1:8500';
    if (!/^https?:\/\//.test(address)) address = `http://${address}`;
    const token = str(flags.token) ?? ctx.env.CONSUL_HTTP_TOKEN ?? ctx.env.ISTHMUS_HTTP_TOKEN;
    const server = new IsthmusClient({ address, ...(token ? { token } : {}) });
    const log = createLogger({ level }).child({ component: 'k8s-controller' });
    const kube = kubeApi(loadKubeConfig(str(flags.kubeconfig) ?? ctx.env.KUBECONFIG));

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
    let webhook: WebhookServer | undefined;
    if (wh) {
      webhook = new WebhookServer({ kube, log, cert: readFileSync(certFile as string, 'utf8'), key: readFileSync(keyFile as string, 'utf8'), host: wh[1] as string, port: Number(wh[2]), enablePeering: peeringFlag === 'true' });
      const bound = await webhook.start();
      ctx.out(`==> Admission webhooks: https://${bound.host}:${bound.port}`);
    }
    await controller.start();
    ctx.out(`==> Kubernetes controller running (server ${address}, datacenter ${datacenter})`);
    await untilSignal();
    await controller.stop();
    await webhook?.stop();
  },
};
