// Pure intention matching: which intentions apply, in precedence order, and the resulting decision.
import type { Intention, IntentionSource } from './types.js';

/** Highest precedence first; ties by source peer, source name, destination name (Consul's order). */
export function comparePrecedence(a: Intention, b: Intention): number {
  return (
    b.Precedence - a.Precedence ||
    a.SourcePeer.localeCompare(b.SourcePeer) ||
    a.SourceName.localeCompare(b.SourceName) ||
    a.DestinationName.localeCompare(b.DestinationName)
  );
}

/** Does an intention's source match the caller? A peer intention matches only that peer's callers. */
export function sourceMatches(i: Intention, src: IntentionSource): boolean {
  if ((i.SourcePeer || '') !== (src.peer ?? '')) return false;
  return i.SourceName === '*' || i.SourceName === src.name;
}

export function destinationMatches(i: Intention, destination: string): boolean {
  return i.DestinationName === '*' || i.DestinationName === destination;
}

/** Pre-sorted lookup by destination, so a check touches only the candidates for one destination. */
export class IntentionIndex {
  readonly #byDest = new Map<string, Intention[]>();
  readonly all: Intention[];

  constructor(intentions: Intention[]) {
    this.all = [...intentions].sort(comparePrecedence);
    for (const i of this.all) {
      let list = this.#byDest.get(i.DestinationName);
      if (!list) this.#byDest.set(i.DestinationName, (list = []));
      list.push(i);
    }
  }

  /** Intentions that apply to a destination, highest precedence first. */
  forDestination(destination: string): Intention[] {
    const exact = destination === '*' ? [] : (this.#byDest.get(destination) ?? []);
    const wild = this.#byDest.get('*') ?? [];
    if (wild.length === 0) return exact;
    if (exact.length === 0) return wild;
    return [...exact, ...wild].sort(comparePrecedence);
  }

  /** Intentions whose source is `name` (exact or `*`), highest precedence first. */
  forSource(src: IntentionSource): Intention[] {
    return this.all.filter((i) => sourceMatches(i, src));
  }

  /** The intention that decides a call, if any: the first match in precedence order. */
  decidingIntention(src: IntentionSource, destination: string): Intention | undefined {
    for (const i of this.forDestination(destination)) if (sourceMatches(i, src)) return i;
    return undefined;
  }
}

export interface DecideOptions {
  /** What happens when nothing matches: the ACL default policy (allow when ACLs are off). */
  defaultAllow: boolean;
  /**
   * Whether an unmatched call from a *peer* falls back to `defaultAllow`. Field reports asked for
   * peered traffic to default to deny; data-plane callers pass false, the check API follows Consul.
   * @default true
   */
  peersFollowDefault?: boolean;
}

/** allow/deny for a call. L7 intentions (Permissions, no Action) count as deny for a plain check. */
export function decide(index: IntentionIndex, src: IntentionSource, destination: string, opts: DecideOptions): boolean {
  const hit = index.decidingIntention(src, destination);
  if (hit) return hit.Action === 'allow';
  if (src.peer && opts.peersFollowDefault === false) return false;
  return opts.defaultAllow;
}
