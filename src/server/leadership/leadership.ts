// Who leads this cluster, and which servers it has. A single server always leads; servers sharing
// etcd elect one through a lease (see store/etcd/election.ts). One signal starts and stops the work
// that must run once per cluster (peering streams and dialers, deferred peering deletion).

/** What one server tells the others about itself (stored as its election value). */
export interface ServerInfo {
  Node: string;
  ID: string;
  /** host:port of the HTTP API. */
  HTTPAddr: string;
  /** host:port of the external gRPC TLS port (peer streams). */
  GRPCAddr: string;
  /** host:port shown by /v1/status/leader and /v1/status/peers. */
  RPCAddr: string;
}

export interface Leadership {
  isLeader(): boolean;
  /** The current leader (undefined while an election is under way). */
  leader(): ServerInfo | undefined;
  /** Every live server of the cluster (this one included once started). */
  servers(): ServerInfo[];
  /** Called after any change of leader or membership. */
  onChange(fn: () => void): () => void;
  start(self: ServerInfo): void;
  stop(): Promise<void>;
}

/** The election backend (etcd), by shape: values are JSON ServerInfo. */
export interface ElectionBackend {
  candidates(): { value: string }[];
  leader(): { value: string } | undefined;
  isLeader(): boolean;
  onChange(fn: () => void): () => void;
  start(value: string): void;
  stop(): Promise<void>;
}

function parse(value: string): ServerInfo | undefined {
  try {
    const v = JSON.parse(value) as ServerInfo;
    return typeof v.Node === 'string' && typeof v.GRPCAddr === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** One server: it leads as soon as it starts. */
export class SoloLeadership implements Leadership {
  #self: ServerInfo | undefined;
  readonly #listeners = new Set<() => void>();

  isLeader(): boolean {
    return this.#self !== undefined;
  }

  leader(): ServerInfo | undefined {
    return this.#self;
  }

  servers(): ServerInfo[] {
    return this.#self ? [this.#self] : [];
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  start(self: ServerInfo): void {
    this.#self = self;
    for (const l of this.#listeners) l();
  }

  async stop(): Promise<void> {
    this.#self = undefined;
    for (const l of this.#listeners) l();
  }
}

/** Several servers: leadership and membership from the election backend. */
export class ElectedLeadership implements Leadership {
  readonly #backend: ElectionBackend;

  constructor(backend: ElectionBackend) {
    this.#backend = backend;
  }

  isLeader(): boolean {
    return this.#backend.isLeader();
  }

  leader(): ServerInfo | undefined {
    const l = this.#backend.leader();
    return l ? parse(l.value) : undefined;
  }

  servers(): ServerInfo[] {
    const seen = new Set<string>();
    const out: ServerInfo[] = [];
    for (const c of this.#backend.candidates()) {
      const s = parse(c.value);
      if (!s || seen.has(s.Node)) continue;
      seen.add(s.Node);
      out.push(s);
    }
    return out.sort((a, b) => a.Node.localeCompare(b.Node));
  }

  onChange(fn: () => void): () => void {
    return this.#backend.onChange(fn);
  }

  start(self: ServerInfo): void {
    this.#backend.start(JSON.stringify(self));
  }

  stop(): Promise<void> {
    return this.#backend.stop();
  }
}

/**
 * Runs `gained` when this server becomes leader and `lost` when it stops being one (each edge once).
 * Returns a function that stops following.
 */
export function onLeadershipEdges(leadership: Leadership, hooks: { gained: () => void; lost: () => void }): () => void {
  let leading = false;
  const check = (): void => {
    const now = leadership.isLeader();
    if (now === leading) return;
    leading = now;
    if (now) hooks.gained();
    else hooks.lost();
  };
  const off = leadership.onChange(check);
  check();
  return () => {
    off();
    if (leading) {
      leading = false;
      hooks.lost();
    }
  };
}
