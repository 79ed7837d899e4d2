// Thin HTTP handlers for /v1/connect/intentions/*: match, check, exact and the legacy list/create.
import { invalid } from '../../lib/errors.js';
import { parseJsonText } from '../../lib/json-decode.js';
import { enforce } from '../acl/errors.js';
import { blockingRead, type BlockingReader } from '../http/blocking.js';
import type { Handler, HttpRequest } from '../http/request.js';
import { aclFilter, queryAll, queryOne } from '../http/request.js';
import { configTopics } from '../config-entries/service.js';
import { decide } from './match.js';
import { parseIntentionName } from './names.js';
import type { IntentionService } from './service.js';
import type { Intention } from './types.js';
import { setOwn } from '../../lib/safe-object.js';

export function renderIntention(i: Intention): Record<string, unknown> {
  return {
    ...(i.ID ? { ID: i.ID } : {}),
    Description: i.Description,
    SourceNS: 'default',
    SourceName: i.SourceName,
    ...(i.SourcePeer ? { SourcePeer: i.SourcePeer } : {}),
    DestinationNS: 'default',
    DestinationName: i.DestinationName,
    SourceType: i.SourceType,
    ...(i.Action ? { Action: i.Action } : {}),
    ...(i.Permissions.length > 0 ? { Permissions: i.Permissions } : {}),
    Meta: i.Meta,
    Precedence: i.Precedence,
    CreateIndex: i.CreateIndex,
    ModifyIndex: i.ModifyIndex,
  };
}

function required(req: HttpRequest, name: string): string {
  const v = queryOne(req.query, name);
  if (v === undefined || v === '') throw invalid(`required query parameter '${name}' not set`);
  return v;
}

const TOPIC = [configTopics.kind('service-intentions')];

export function intentionHandlers(deps: { intentions: IntentionService; blocking: BlockingReader; defaultAllow: () => boolean }): Record<string, Handler> {
  const { intentions, blocking } = deps;
  return {
    async match(req) {
      const by = queryOne(req.query, 'by');
      if (by === undefined || by === '') throw invalid("required query parameter 'by' not set");
      if (by !== 'source' && by !== 'destination') throw invalid("'by' parameter must be one of 'source' or 'destination'");
      const names = queryAll(req.query, 'name');
      if (names.length === 0) throw invalid("required query parameter 'name' not set");
      const parsed = names.map((n) => {
        try {
          return parseIntentionName(n, false);
        } catch (err) {
          throw invalid(`name "${n}" is invalid: ${(err as Error).message}`);
        }
      });
      for (const p of parsed) enforce(req.authz, 'intention', 'read', p.name);
      return blockingRead(blocking, req, TOPIC, () => {
        const idx = intentions.index();
        const out: Record<string, unknown> = {};
        names.forEach((n, i) => {
          const p = parsed[i] as { name: string };
          const list = by === 'destination' ? idx.forDestination(p.name) : idx.forSource({ name: p.name });
          setOwn(out, n, list.map(renderIntention));
        });
        return out;
      });
    },

    async check(req) {
      const source = parseIntentionName(required(req, 'source'), false);
      const destination = parseIntentionName(required(req, 'destination'), false);
      const type = queryOne(req.query, 'source-type');
      if (type !== undefined && type !== '' && type !== 'consul') throw invalid("SourceType must be set to 'consul'");
      enforce(req.authz, 'intention', 'read', destination.name);
      const allowed = decide(intentions.index(), { name: source.name }, destination.name, { defaultAllow: deps.defaultAllow() });
      return { json: { Allowed: allowed } };
    },

    async exactGet(req) {
      const source = parseIntentionName(required(req, 'source'), true);
      const destination = parseIntentionName(required(req, 'destination'), false);
      enforce(req.authz, 'intention', 'read', destination.name);
      return { json: renderIntention(intentions.exact(source.name, destination.name, source.peer)) };
    },

    async exactPut(req) {
      const source = parseIntentionName(required(req, 'source'), false);
      const destination = parseIntentionName(required(req, 'destination'), false);
      enforce(req.authz, 'intention', 'write', destination.name);
      const body = parseBody(req);
      if (body.SourcePeer || body.Peer) throw invalid('Sources[0].Peer cannot be set by legacy intentions');
      if (body.Action !== 'allow' && body.Action !== 'deny') throw invalid("Action must be set to 'allow' or 'deny'");
      await intentions.upsert(source.name, destination.name, body);
      return { json: true };
    },

    async exactDelete(req) {
      const source = parseIntentionName(required(req, 'source'), false);
      const destination = parseIntentionName(required(req, 'destination'), false);
      enforce(req.authz, 'intention', 'write', destination.name);
      await intentions.remove(source.name, destination.name);
      return { json: true };
    },

    async list(req) {
      return blockingRead(blocking, req, TOPIC, () => aclFilter(req, intentions.index().all, (i) => req.authz.allowed('intention', 'read', i.DestinationName)).items.map(renderIntention));
    },

    async legacyCreate(req) {
      const body = parseBody(req);
      enforce(req.authz, 'intention', 'write', String(body.DestinationName ?? ''));
      const id = await intentions.legacyCreate(body);
      return { json: { ID: id } };
    },
  };
}

interface IntentionBody {
  SourceName?: string;
  DestinationName?: string;
  SourceType?: string;
  Action?: string;
  Description?: string;
  Meta?: Record<string, string>;
  SourcePeer?: string;
  Peer?: string;
}

const BODY_KEYS = new Set(['ID', 'Description', 'SourceNS', 'SourceName', 'SourcePeer', 'Peer', 'DestinationNS', 'DestinationName', 'SourceType', 'Action', 'Permissions', 'Meta', 'Precedence', 'CreatedAt', 'UpdatedAt', 'CreateIndex', 'ModifyIndex', 'SourcePartition', 'DestinationPartition']);

function parseBody(req: HttpRequest): IntentionBody {
  let v: unknown;
  try {
    v = parseJsonText(req.body);
  } catch (err) {
    throw invalid(`Request decode failed: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('Request decode failed: expected a JSON object');
  for (const k of Object.keys(v)) if (!BODY_KEYS.has(k)) throw invalid(`Request decode failed: json: unknown field "${k}"`);
  const b = v as IntentionBody & { Permissions?: unknown[] };
  if (Array.isArray(b.Permissions) && b.Permissions.length > 0) throw invalid('Permissions cannot be set through the legacy intention endpoints; use a service-intentions config entry');
  return b;
}
