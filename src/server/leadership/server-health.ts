// Leader-only: a server that left the election (killed, cut off from etcd) gets its node's
// `serfHealth` check marked critical, as Consul's leader does for failed members; a server that is
// back gets it passing again. Server nodes are the agents' own nodes (registered with serfHealth
// and the agent's node meta).
import type { Logger } from '../../lib/log.js';
import type { CatalogService } from '../catalog/service.js';
import type { Leadership } from './leadership.js';

const ALIVE = 'Agent alive and reachable';
const DEAD = 'Agent not live or unreachable';
/** Membership changes settle (a restarted server campaigns right after registering) before acting. */
const SETTLE_MS = 500;

export function reconcileServerHealth(deps: { catalog: CatalogService; leadership: Leadership; log: Logger }): () => void {
  const { catalog, leadership, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const run = async (): Promise<void> => {
    if (running || !leadership.isLeader()) return;
    running = true;
    try {
      const live = new Set(leadership.servers().map((s) => s.Node));
      if (live.size === 0) return;
      for (const n of catalog.reader.nodes('')) {
        if (!('consul-version' in n.value.Meta)) continue;
        const check = catalog.reader.check('', n.value.Node, 'serfHealth');
        if (!check) continue;
        const alive = live.has(n.value.Node);
        if (!alive && check.value.Status !== 'critical') {
          log.info('server left the cluster: marking it critical', { node: n.value.Node });
          await catalog.updateCheck(n.value.Node, 'serfHealth', { status: 'critical', output: DEAD });
        } else if (alive && check.value.Status === 'critical' && check.value.Output === DEAD) {
          await catalog.updateCheck(n.value.Node, 'serfHealth', { status: 'passing', output: ALIVE });
        }
      }
    } catch (err) {
      log.warn('reconciling server health failed; will retry on the next change', { error: (err as Error).message });
    } finally {
      running = false;
    }
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), SETTLE_MS);
    timer.unref();
  };
  const off = leadership.onChange(schedule);
  schedule();
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
