// Intentions are written as service-intentions config entries (as Consul's UI does for peer sources):
// read the destination's entry, change one source, write it back with check-and-set.
import { ApiError, enc, get, request } from './api';
import type { IntentionSource, ServiceIntentionsEntry } from './types';

export interface IntentionKey {
  destination: string;
  source: string;
  /** Empty for a source in this cluster. */
  peer: string;
}

const sameSource = (s: IntentionSource, k: IntentionKey): boolean => s.Name === k.source && (s.Peer ?? '') === k.peer;

async function readEntry(destination: string): Promise<ServiceIntentionsEntry | undefined> {
  try {
    return (await get<ServiceIntentionsEntry>(`/v1/config/service-intentions/${enc(destination)}`)).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

function clean(s: IntentionSource): IntentionSource {
  const { Precedence: _p, ...rest } = s as IntentionSource & { Precedence?: number };
  return rest;
}

const CONFLICT = (d: string): Error => new Error(`The intentions of ${d} changed while saving; reload and try again.`);

export async function findSource(k: IntentionKey): Promise<IntentionSource | undefined> {
  return (await readEntry(k.destination))?.Sources.find((s) => sameSource(s, k));
}

/** Creates or replaces the source `k` on its destination's entry. */
export async function saveIntention(k: IntentionKey, fields: { Action: 'allow' | 'deny'; Description: string }, mustBeNew: boolean): Promise<void> {
  const entry = await readEntry(k.destination);
  const sources = (entry?.Sources ?? []).map(clean);
  const i = sources.findIndex((s) => sameSource(s, k));
  if (i >= 0 && mustBeNew) throw new Error(`An intention from ${k.peer ? `peer ${k.peer} ` : ''}${k.source} to ${k.destination} already exists; edit it instead.`);
  const next: IntentionSource = { ...(i >= 0 ? sources[i] : {}), Name: k.source, ...(k.peer ? { Peer: k.peer } : {}), Action: fields.Action, ...(fields.Description ? { Description: fields.Description } : {}) };
  if (!fields.Description) delete next.Description;
  if (i >= 0) sources[i] = next;
  else sources.push(next);
  const { CreateIndex: _c, ModifyIndex: _m, ...rest } = entry ?? ({ Kind: 'service-intentions', Name: k.destination, Sources: [] } as ServiceIntentionsEntry);
  const body = { ...rest, Kind: 'service-intentions', Name: k.destination, Sources: sources };
  const ok = (await request<boolean>('PUT', `/v1/config?cas=${entry?.ModifyIndex ?? 0}`, body)).data;
  if (ok !== true) throw CONFLICT(k.destination);
}

/** Removes the source `k`; deletes the entry when it was the last one. */
export async function deleteIntention(k: IntentionKey): Promise<void> {
  const entry = await readEntry(k.destination);
  if (!entry || !entry.Sources.some((s) => sameSource(s, k))) return;
  const sources = entry.Sources.filter((s) => !sameSource(s, k)).map(clean);
  if (sources.length === 0) {
    const r = await request<boolean>('DELETE', `/v1/config/service-intentions/${enc(k.destination)}?cas=${entry.ModifyIndex ?? 0}`);
    if (r.data === false) throw CONFLICT(k.destination);
    return;
  }
  const { CreateIndex: _c, ModifyIndex: _m, ...rest } = entry;
  const ok = (await request<boolean>('PUT', `/v1/config?cas=${entry.ModifyIndex ?? 0}`, { ...rest, Sources: sources })).data;
  if (ok !== true) throw CONFLICT(k.destination);
}
