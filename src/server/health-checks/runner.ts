// Runs the agent's HTTP, TCP and TTL checks, writes results into the catalog, and reaps services
// whose checks stayed critical past DeregisterCriticalServiceAfter.
import type { Logger } from '../../lib/log.js';
import type { CatalogService } from '../catalog/service.js';
import type { CheckRecord, CheckStatus } from '../catalog/types.js';
import { DEFAULT_OUTPUT_MAX_SIZE } from './definition.js';
import { probeHttp, probeTcp, truncateOutput, type ProbeResult } from './probes.js';

/** Consul's check_reap_interval. */
export const DEFAULT_REAP_INTERVAL_MS = 30_000;

export interface CheckRunnerDeps {
  catalog: CatalogService;
  log: Logger;
  /** Removes a service (with its checks) from the agent; used by the reaper. */
  deregisterService: (serviceId: string) => Promise<void>;
}

export interface CheckRunnerOptions {
  /** The agent's node: the checks it runs are the ones registered on it. */
  node: string;
  /** @default DEFAULT_REAP_INTERVAL_MS */
  reapIntervalMs?: number;
  random?: () => number;
}

interface Running {
  key: string;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

function definitionKey(c: CheckRecord): string {
  return JSON.stringify(c.Definition);
}

export class CheckRunner {
  readonly #deps: CheckRunnerDeps;
  readonly #node: string;
  readonly #reapIntervalMs: number;
  readonly #random: () => number;
  readonly #running = new Map<string, Running>();
  readonly #criticalSince = new Map<string, number>();
  #reaper: NodeJS.Timeout | undefined;

  constructor(deps: CheckRunnerDeps, options: CheckRunnerOptions) {
    this.#deps = deps;
    this.#node = options.node;
    this.#reapIntervalMs = options.reapIntervalMs ?? DEFAULT_REAP_INTERVAL_MS;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    this.reconcile();
    this.#reaper = setInterval(() => void this.#reap(), this.#reapIntervalMs);
    this.#reaper.unref();
  }

  stop(): void {
    if (this.#reaper) clearInterval(this.#reaper);
    for (const r of this.#running.values()) this.#halt(r);
    this.#running.clear();
  }

  /** Brings running probes and TTL timers in line with the checks registered on the agent node. */
  reconcile(): void {
    const checks = this.#deps.catalog.reader.checksOfNode('', this.#node);
    const seen = new Set<string>();
    for (const { value: c } of checks) {
      const d = c.Definition;
      if (!d.HTTP && !d.TCP && !d.TTL) continue;
      seen.add(c.CheckID);
      this.#trackStatus(c.CheckID, c.Status);
      const key = definitionKey(c);
      const cur = this.#running.get(c.CheckID);
      if (cur && cur.key === key) continue;
      if (cur) this.#halt(cur);
      const r: Running = { key, timer: undefined, stopped: false };
      this.#running.set(c.CheckID, r);
      if (d.TTL) this.#armTtl(c.CheckID, r, d.TTL);
      else this.#schedule(c.CheckID, r, Math.floor(this.#random() * Math.min(d.Interval ?? 1000, 1000)));
    }
    for (const [id, r] of this.#running) {
      if (seen.has(id)) continue;
      this.#halt(r);
      this.#running.delete(id);
      this.#criticalSince.delete(id);
    }
  }

  /** Records a TTL check update (pass/warn/fail/update) and restarts its timer. */
  async ttlUpdate(checkId: string, status: CheckStatus, output: string): Promise<void> {
    const check = this.#deps.catalog.reader.check('', this.#node, checkId)?.value;
    const max = check?.Definition.OutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE;
    await this.#write(checkId, { status, output: truncateOutput(output, max) });
    const r = this.#running.get(checkId);
    if (r && check?.Definition.TTL) {
      if (r.timer) clearTimeout(r.timer);
      this.#armTtl(checkId, r, check.Definition.TTL);
    }
  }

  #halt(r: Running): void {
    r.stopped = true;
    if (r.timer) clearTimeout(r.timer);
  }

  #armTtl(checkId: string, r: Running, ttl: number): void {
    r.timer = setTimeout(() => {
      if (r.stopped) return;
      const last = this.#deps.catalog.reader.check('', this.#node, checkId)?.value.Output ?? '';
      const output = last ? `TTL expired (last output before timeout follows): ${last}` : 'TTL expired';
      void this.#write(checkId, { status: 'critical', output });
    }, ttl);
    r.timer.unref();
  }

  #schedule(checkId: string, r: Running, delay: number): void {
    r.timer = setTimeout(() => void this.#runProbe(checkId, r), delay);
    r.timer.unref();
  }

  async #runProbe(checkId: string, r: Running): Promise<void> {
    if (r.stopped) return;
    const check = this.#deps.catalog.reader.check('', this.#node, checkId)?.value;
    if (!check) return;
    const d = check.Definition;
    let result: ProbeResult;
    try {
      result = d.HTTP ? await probeHttp(d) : await probeTcp(d);
    } catch (err) {
      result = { status: 'critical', output: (err as Error).message };
    }
    if (r.stopped) return;
    await this.#write(checkId, result);
    if (!r.stopped) this.#schedule(checkId, r, d.Interval ?? 10_000);
  }

  async #write(checkId: string, result: ProbeResult): Promise<void> {
    try {
      const after = await this.#deps.catalog.updateCheck(this.#node, checkId, result);
      if (after) this.#trackStatus(checkId, after.value.Status);
    } catch (err) {
      this.#deps.log.error('cannot record check result', { check: checkId, error: (err as Error).message });
    }
  }

  #trackStatus(checkId: string, status: CheckStatus): void {
    if (status === 'critical') {
      if (!this.#criticalSince.has(checkId)) this.#criticalSince.set(checkId, Date.now());
    } else {
      this.#criticalSince.delete(checkId);
    }
  }

  async #reap(): Promise<void> {
    const now = Date.now();
    for (const [checkId, since] of [...this.#criticalSince]) {
      const c = this.#deps.catalog.reader.check('', this.#node, checkId)?.value;
      const after = c?.Definition.DeregisterCriticalServiceAfter;
      if (!c || !after || !c.ServiceID || now - since < after) continue;
      this.#deps.log.info('reaping service whose check stayed critical', { service: c.ServiceID, check: checkId });
      this.#criticalSince.delete(checkId);
      try {
        await this.#deps.deregisterService(c.ServiceID);
      } catch (err) {
        this.#deps.log.error('cannot reap service', { service: c.ServiceID, error: (err as Error).message });
      }
    }
  }
}
