// The intention model: one (source → destination) rule derived from a service-intentions entry.

export interface Intention {
  /** Legacy ID (set only for intentions created through the legacy endpoints). */
  ID: string;
  Description: string;
  SourceName: string;
  /** Empty for local sources; the local peer name for imported callers. */
  SourcePeer: string;
  DestinationName: string;
  SourceType: string;
  /** 'allow' | 'deny', or '' for L7 intentions (which have Permissions). */
  Action: string;
  Permissions: unknown[];
  Meta: Record<string, string>;
  Precedence: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Who is calling: a local service, or a service of a peer. */
export interface IntentionSource {
  name: string;
  peer?: string;
}
