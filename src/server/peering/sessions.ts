// Live peer sessions by peering ID, on both sides; ends them when their peering is deleted locally.
import type { PeerSession } from './session.js';
import type { PeeringService } from './service.js';
import { isActive } from './types.js';

export class SessionRegistry {
  readonly #sessions = new Map<string, PeerSession>();
  readonly #peering: PeeringService;

  constructor(peering: PeeringService) {
    this.#peering = peering;
    peering.onChange(() => this.#sweep());
  }

  /** Registers a session; refuses a second one for the same peering (spec §4.4 step 7). */
  add(session: PeerSession): boolean {
    if (this.#sessions.has(session.id)) return false;
    this.#sessions.set(session.id, session);
    void session.done.then(() => {
      if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
    });
    return true;
  }

  get(id: string): PeerSession | undefined {
    return this.#sessions.get(id);
  }

  /** Sends Terminated on every session whose peering is gone or no longer active. */
  #sweep(): void {
    for (const [id, s] of this.#sessions) {
      const rec = this.#peering.byId(id)?.value;
      if (!rec || (!isActive(rec) && rec.State === 'DELETING')) s.terminate();
    }
  }

  /** Ends every session (server shutdown); the peers will reconnect to us later. */
  closeAll(): void {
    for (const s of this.#sessions.values()) s.end({ error: 'server shutting down' });
  }
}
