// Thin HTTP handlers for /v1/config: write (with ?cas), read, list and delete config entries.
import { IsthmusError, invalid, notFound } from '../../lib/errors.js';
import { DecodeError, decodeJson, parseJsonText } from '../../lib/json-decode.js';
import { enforce } from '../acl/errors.js';
import { blockingRead, rendered, type BlockingReader } from '../http/blocking.js';
import type { Handler, HttpRequest } from '../http/request.js';
import { aclFilter, queryOne } from '../http/request.js';
import { configEntryPermission } from './acl.js';
import { isConfigKind, KIND_SCHEMAS, type ConfigKind } from './schema.js';
import { configTopics, type ConfigEntryService, type StoredEntry } from './service.js';
import { validateConfigEntry } from './validate.js';
import { refusePeerKeys } from './validate-l7.js';

export function renderEntry(s: StoredEntry): Record<string, unknown> {
  return { ...s.entry, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex };
}

function kindParam(req: HttpRequest): ConfigKind {
  const kind = req.params.kind ?? '';
  if (!isConfigKind(kind)) throw invalid(`invalid config entry kind: ${kind}`);
  return kind;
}

function casParam(req: HttpRequest): number | undefined {
  const cas = queryOne(req.query, 'cas');
  if (cas === undefined) return undefined;
  if (!/^\d+$/.test(cas)) throw invalid(`Failed to parse cas value "${cas}": must be a non-negative integer`);
  return Number(cas);
}

function can(req: HttpRequest, kind: ConfigKind, name: string, access: 'read' | 'write'): boolean {
  const p = configEntryPermission(kind, name, access);
  return !p || req.authz.allowed(p.resource, p.access, p.name);
}

function check(req: HttpRequest, kind: ConfigKind, name: string, access: 'read' | 'write'): void {
  const p = configEntryPermission(kind, name, access);
  if (p) enforce(req.authz, p.resource, p.access, p.name);
}

/** Decodes a config entry body: Kind first (to pick the schema), then strict decoding and validation. */
export function decodeConfigEntry(text: string): ReturnType<typeof validateConfigEntry> {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (err) {
    throw invalid(`Request decoding failed: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('Request decoding failed: config entry must be a JSON object');
  const obj = raw as Record<string, unknown>;
  const kind = obj.Kind ?? obj.kind;
  if (typeof kind !== 'string' || kind === '') throw invalid('Request decoding failed: Payload does not contain a kind/Kind key at the top level');
  if (!isConfigKind(kind)) throw invalid(`Request decoding failed: invalid config entry kind: ${kind}`);
  refusePeerKeys(kind, obj);
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeJson<Record<string, unknown>>(text, KIND_SCHEMAS[kind]);
  } catch (err) {
    if (err instanceof DecodeError) throw invalid(`Request decoding failed: ${err.message}`);
    throw err;
  }
  return validateConfigEntry(kind, decoded);
}

export function configHandlers(deps: { entries: ConfigEntryService; blocking: BlockingReader }): Record<string, Handler> {
  const { entries, blocking } = deps;
  return {
    async apply(req) {
      const entry = decodeConfigEntry(req.body);
      check(req, entry.Kind, entry.Name, 'write');
      const cas = casParam(req);
      return { json: await entries.set(entry, cas === undefined ? {} : { cas }) };
    },

    async list(req) {
      const kind = kindParam(req);
      return blockingRead(blocking, req, [configTopics.kind(kind)], () => {
        const { items, filtered } = aclFilter(req, entries.list(kind), (s) => can(req, kind, s.entry.Name, 'read'));
        return rendered(items.map(renderEntry), filtered);
      });
    },

    async read(req) {
      const kind = kindParam(req);
      const name = req.params.name ?? '';
      check(req, kind, name, 'read');
      // Consul answers a missing entry with 404, blocking or not.
      if (!entries.get(kind, name)) throw notFound(`Config entry not found for "${kind}" / "${name}"`);
      return blockingRead(blocking, req, [configTopics.entry(kind, name)], () => {
        const s = entries.get(kind, name);
        return s ? renderEntry(s) : null;
      });
    },

    async delete(req) {
      const kind = kindParam(req);
      const name = req.params.name ?? '';
      check(req, kind, name, 'write');
      const cas = casParam(req);
      const done = await entries.delete(kind, name, cas === undefined ? {} : { cas });
      return { json: cas === undefined ? {} : done };
    },

    async deleteKindOnly(req) {
      kindParam(req);
      throw new IsthmusError('NOT_FOUND', 'Must provide both a kind and name to delete');
    },
  };
}
