// The peering state machine (spec §3): stored transitions as a pure function, plus the state shown
// on read, which folds in the live stream status.
import type { PeeringRecord, PeeringState } from './types.js';
import type { StreamStatus } from './tracker.js';

export type PeeringEvent =
  | { type: 'token-generated' }
  | { type: 'dialer-written' }
  | { type: 'secret-exchanged' }
  | { type: 'delete-requested'; at: string }
  | { type: 'terminated-by-peer' };

/**
 * Stored-state transition. ACTIVE/FAILING are never stored: they are computed on read.
 * Returns the record unchanged when an event does not apply (e.g. terminate while deleting).
 */
export function transition(p: PeeringRecord, e: PeeringEvent): PeeringRecord {
  const s = p.State;
  const inactive = s === 'DELETING' || s === 'TERMINATED';
  switch (e.type) {
    case 'token-generated':
      return s === 'UNDEFINED' ? { ...p, State: 'PENDING' } : p;
    case 'dialer-written':
      return s === 'UNDEFINED' || s === 'TERMINATED' ? { ...p, State: 'PENDING' } : p;
    case 'secret-exchanged':
      return s === 'DELETING' ? p : { ...p, State: 'ESTABLISHING' };
    case 'delete-requested':
      return s === 'DELETING' ? p : { ...p, State: 'DELETING', DeletedAt: e.at };
    case 'terminated-by-peer':
      return inactive ? p : { ...p, State: 'TERMINATED' };
  }
}

/** What reads show: ACTIVE while a stream is up, FAILING after an error disconnect, else stored. */
export function visibleState(p: PeeringRecord, status: StreamStatus | undefined): PeeringState {
  if (p.State === 'DELETING' || p.State === 'TERMINATED') return p.State;
  if (status?.connected) return 'ACTIVE';
  if (status?.disconnectError) return 'FAILING';
  return p.State === 'UNDEFINED' ? 'PENDING' : p.State;
}
