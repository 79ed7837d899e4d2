// Live status of peer streams, kept in memory per peering ID (spec §1.3 StreamStatus, §4.6 health).

/** Consul's heartbeat receive timeout, also the "unhealthy after" window. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 2 * 60_000;

export interface StreamStatus {
  connected: boolean;
  /** Set when the last disconnect carried an error (→ FAILING). */
  disconnectError?: string;
  disconnectTime?: number;
  lastHeartbeat?: number;
  lastRecvResourceSuccess?: number;
  lastRecvError?: number;
  lastRecvErrorMessage?: string;
  lastSendSuccess?: number;
  lastSendError?: number;
  lastSendErrorMessage?: string;
  lastAck?: number;
  lastNack?: number;
  lastNackMessage?: string;
  importedServices?: string[];
  exportedServices?: string[];
}

export class StreamTracker {
  readonly #status = new Map<string, StreamStatus>();

  get(id: string): StreamStatus | undefined {
    return this.#status.get(id);
  }

  /** Marks a stream connected; refuses a second one for the same peering. */
  connect(id: string): boolean {
    const s = this.#status.get(id);
    if (s?.connected) return false;
    this.#status.set(id, { ...(s ?? {}), connected: true, disconnectError: undefined });
    return true;
  }

  disconnect(id: string, error?: string): void {
    const s = this.#status.get(id);
    if (!s) return;
    s.connected = false;
    s.disconnectTime = Date.now();
    s.disconnectError = error;
  }

  update(id: string, patch: Partial<StreamStatus>): void {
    const s = this.#status.get(id) ?? { connected: false };
    this.#status.set(id, { ...s, ...patch });
  }

  delete(id: string): void {
    this.#status.delete(id);
  }

  isConnected(id: string): boolean {
    return this.#status.get(id)?.connected === true;
  }
}

function latest(...ts: (number | undefined)[]): number | undefined {
  const v = ts.filter((x): x is number => x !== undefined);
  return v.length ? Math.max(...v) : undefined;
}

/** The HTTP StreamStatus object (all null when the tracker has no entry). */
export function renderStreamStatus(s: StreamStatus | undefined): Record<string, unknown> {
  const t = (n: number | undefined): string | null => (n === undefined ? null : new Date(n).toISOString());
  return {
    ImportedServices: s?.importedServices ?? null,
    ExportedServices: s?.exportedServices ?? null,
    LastHeartbeat: t(s?.lastHeartbeat),
    LastReceive: t(latest(s?.lastHeartbeat, s?.lastRecvError, s?.lastRecvResourceSuccess)),
    LastSend: t(latest(s?.lastSendError, s?.lastSendSuccess)),
  };
}

/**
 * The `peering.healthy` gauge rule (spec §4.6): unhealthy when disconnected past the timeout, when a
 * NACK is newer than the last ACK and that ACK is stale, or when a receive error is newer than the last
 * success and stale. Never-connected peerings are unhealthy. Field reports asked for stricter: a
 * connected stream whose last heartbeat is older than the timeout is unhealthy too.
 */
export function isHealthy(s: StreamStatus | undefined, now: number, timeoutMs = DEFAULT_HEARTBEAT_TIMEOUT_MS): boolean {
  if (!s) return false;
  if (!s.connected) return s.disconnectTime !== undefined && now - s.disconnectTime < timeoutMs && s.lastHeartbeat !== undefined;
  if (s.lastHeartbeat !== undefined && now - s.lastHeartbeat > timeoutMs) return false;
  if (s.lastNack !== undefined && (s.lastAck === undefined || s.lastNack > s.lastAck) && now - (s.lastAck ?? 0) > timeoutMs) return false;
  if (s.lastRecvError !== undefined && (s.lastRecvResourceSuccess ?? 0) < s.lastRecvError && now - (s.lastRecvResourceSuccess ?? 0) > timeoutMs) return false;
  return true;
}
