// Intentions as a read model over service-intentions config entries, plus the legacy write paths.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../../lib/errors.js';
import type { ConfigEntry } from '../config-entries/schema.js';
import type { ConfigEntryService } from '../config-entries/service.js';
import { validateConfigEntry } from '../config-entries/validate.js';
import { IntentionIndex } from './match.js';
import type { Intention } from './types.js';

type Source = Record<string, unknown>;

function toIntentions(entry: ConfigEntry, createIndex: number, modifyIndex: number): Intention[] {
  return ((entry.Sources as Source[] | undefined) ?? []).map((s) => ({
    ID: typeof s.LegacyID === 'string' ? s.LegacyID : '',
    Description: typeof s.Description === 'string' ? s.Description : '',
    SourceName: String(s.Name),
    SourcePeer: typeof s.Peer === 'string' ? s.Peer : '',
    DestinationName: entry.Name,
    SourceType: typeof s.Type === 'string' ? s.Type : 'consul',
    Action: typeof s.Action === 'string' ? s.Action : '',
    Permissions: Array.isArray(s.Permissions) ? s.Permissions : [],
    Meta: (s.LegacyMeta as Record<string, string> | undefined) ?? {},
    Precedence: Number(s.Precedence ?? 0),
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
  }));
}

export class IntentionService {
  readonly #entries: ConfigEntryService;
  #index: IntentionIndex | undefined;

  constructor(deps: { entries: ConfigEntryService }) {
    this.#entries = deps.entries;
    deps.entries.onChange((kind) => {
      if (kind === 'service-intentions') this.#index = undefined;
    });
  }

  /** The current index (rebuilt lazily after a service-intentions change). */
  index(): IntentionIndex {
    if (!this.#index) {
      const all = this.#entries.list('service-intentions').flatMap((s) => toIntentions(s.entry, s.createIndex, s.modifyIndex));
      this.#index = new IntentionIndex(all);
    }
    return this.#index;
  }

  /** Upserts one local source on a destination's entry (legacy and `exact` writes). */
  async upsert(source: string, destination: string, fields: { Action?: string; Description?: string; Meta?: Record<string, string>; SourceType?: string }, legacyId?: string): Promise<string> {
    const cur = this.#entries.get('service-intentions', destination);
    const sources = ((cur?.entry.Sources as Source[] | undefined) ?? []).filter((s) => !(s.Name === source && !s.Peer));
    const id = legacyId ?? '';
    sources.push({
      Name: source,
      Action: fields.Action ?? '',
      Type: fields.SourceType || 'consul',
      ...(fields.Description ? { Description: fields.Description } : {}),
      ...(id ? { LegacyID: id, LegacyMeta: fields.Meta ?? {} } : {}),
    });
    const entry = validateConfigEntry('service-intentions', { ...(cur?.entry ?? {}), Kind: 'service-intentions', Name: destination, Sources: sources });
    await this.#entries.set(entry);
    return id;
  }

  async remove(source: string, destination: string): Promise<void> {
    const cur = this.#entries.get('service-intentions', destination);
    if (!cur) return;
    const sources = ((cur.entry.Sources as Source[] | undefined) ?? []).filter((s) => !(s.Name === source && !s.Peer));
    if (sources.length === 0) await this.#entries.delete('service-intentions', destination);
    else await this.#entries.set(validateConfigEntry('service-intentions', { ...cur.entry, Sources: sources }));
  }

  async legacyCreate(body: { SourceName?: string; DestinationName?: string; SourceType?: string; Action?: string; Description?: string; Meta?: Record<string, string>; SourcePeer?: string }): Promise<string> {
    if (body.SourcePeer) throw invalid('Sources[0].Peer cannot be set by legacy intentions');
    if (!body.SourceName) throw invalid('Invalid intention: SourceName must be set');
    if (!body.DestinationName) throw invalid('Invalid intention: DestinationName must be set');
    if (body.Action !== 'allow' && body.Action !== 'deny') throw invalid("Action must be set to 'allow' or 'deny'");
    if ((body.SourceType ?? 'consul') !== 'consul') throw invalid("SourceType must be set to 'consul'");
    const exists = this.index().all.find((i) => i.SourceName === body.SourceName && i.DestinationName === body.DestinationName && !i.SourcePeer);
    if (exists) throw invalid(`duplicate intention found: ${body.SourceName} => ${body.DestinationName}`);
    return this.upsert(body.SourceName, body.DestinationName, body, randomUUID());
  }

  exact(source: string, destination: string, peer = ''): Intention {
    const hit = this.index().all.find((i) => i.SourceName === source && i.DestinationName === destination && i.SourcePeer === peer);
    if (!hit) throw notFound('Intention not found');
    return hit;
  }
}
