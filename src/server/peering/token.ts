// The peering token (spec §2): base64 of a JSON object with Consul's keys in Consul's order.
import { X509Certificate } from 'node:crypto';
import { invalid } from '../../lib/errors.js';
import { DecodeError, decodeValueAs, parseJsonText, type ObjectSchema } from '../../lib/json-decode.js';
import { isValidServerAddress } from './validate.js';
import type { RemoteInfo } from './types.js';

export interface PeeringToken {
  CA: string[];
  ManualServerAddresses: string[] | null;
  ServerAddresses: string[];
  ServerName: string;
  PeerID: string;
  EstablishmentSecret: string;
  Remote: { Partition: string; Datacenter: string; Locality: RemoteInfo['Locality'] | null };
}

/** Encodes with the exact key order of Consul's struct (the base64 starts `eyJDQSI6`). */
export function encodeToken(t: PeeringToken): string {
  const ordered = {
    CA: t.CA,
    ManualServerAddresses: t.ManualServerAddresses,
    ServerAddresses: t.ServerAddresses,
    ServerName: t.ServerName,
    PeerID: t.PeerID,
    EstablishmentSecret: t.EstablishmentSecret,
    Remote: { Partition: t.Remote.Partition, Datacenter: t.Remote.Datacenter, Locality: t.Remote.Locality ?? null },
  };
  return Buffer.from(JSON.stringify(ordered)).toString('base64');
}

/** Bounds on what a token may carry (it comes from another cluster, via an operator). */
export const TOKEN_LIMITS = {
  /** The base64 text. Several CA roots (rotation) of a few KiB each fit easily. */
  tokenChars: 256 * 1024,
  caCount: 16,
  pemChars: 16 * 1024,
  addressCount: 64,
  addressChars: 261,
  serverNameChars: 253,
  idChars: 128,
  remoteChars: 128,
} as const;

const LOCALITY_SCHEMA: ObjectSchema = { name: 'Locality', ignoreUnknown: true, fields: { Region: 'string', Zone: 'string' } };
const TOKEN_SCHEMA: ObjectSchema = {
  name: 'PeeringToken',
  // Go's json.Unmarshal (Consul's decoder) ignores unknown keys but never coerces types.
  ignoreUnknown: true,
  fields: {
    CA: { array: 'string' },
    ManualServerAddresses: { array: 'string' },
    ServerAddresses: { array: 'string' },
    ServerName: 'string',
    PeerID: 'string',
    EstablishmentSecret: 'string',
    Remote: { name: 'PeeringTokenRemote', ignoreUnknown: true, fields: { Partition: 'string', Datacenter: 'string', Locality: LOCALITY_SCHEMA } },
  },
};

interface RawToken {
  CA?: string[];
  ManualServerAddresses?: string[];
  ServerAddresses?: string[];
  ServerName?: string;
  PeerID?: string;
  EstablishmentSecret?: string;
  Remote?: { Partition?: string; Datacenter?: string; Locality?: { Region?: string; Zone?: string } };
}

/** Decodes and validates a token with the spec's messages. Never echoes the token itself. */
export function decodeToken(text: string): PeeringToken {
  const trimmed = text.trim();
  if (trimmed.length > TOKEN_LIMITS.tokenChars) throw invalid(`failed to decode peering token: the token is longer than ${TOKEN_LIMITS.tokenChars} characters`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw invalid('failed to decode peering token: illegal base64 data');
  }
  let obj: unknown;
  try {
    obj = parseJsonText(Buffer.from(trimmed, 'base64').toString('utf8'));
  } catch (err) {
    throw invalid(`failed to decode peering token: ${(err as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalid('failed to decode peering token: not a JSON object');
  let raw: RawToken;
  try {
    raw = decodeValueAs<RawToken>(obj, TOKEN_SCHEMA);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    // A CA of the wrong type is an invalid CA (spec text); other fields fail decoding as in Consul.
    throw invalid(`${/ PeeringToken\.CA /.test(err.message) ? 'peering token invalid CA' : 'failed to decode peering token'}: ${err.message}`);
  }
  const locality = raw.Remote?.Locality;
  const t: PeeringToken = {
    CA: raw.CA ?? [],
    ManualServerAddresses: raw.ManualServerAddresses ?? null,
    ServerAddresses: raw.ServerAddresses ?? [],
    ServerName: raw.ServerName ?? '',
    PeerID: raw.PeerID ?? '',
    EstablishmentSecret: raw.EstablishmentSecret ?? '',
    Remote: {
      Partition: raw.Remote?.Partition ?? '',
      Datacenter: raw.Remote?.Datacenter ?? '',
      Locality: locality ? { Region: locality.Region ?? '', Zone: locality.Zone ?? '' } : null,
    },
  };
  validateToken(t);
  return t;
}

function tooLong(what: string, limit: number): never {
  throw invalid(`peering token ${what} value is too long (limit: ${limit} characters)`);
}

/** Each CA entry must be exactly one PEM certificate that parses as X.509 (spec: `peering token invalid CA`). */
function validateCa(pems: string[]): void {
  // Isthmus never dials a peer without verifying it (issue 10): a token without a CA is refused.
  if (pems.length === 0) throw invalid('peering token invalid CA: the token carries no CA certificate to verify the peer with');
  if (pems.length > TOKEN_LIMITS.caCount) throw invalid(`peering token invalid CA: more than ${TOKEN_LIMITS.caCount} certificates`);
  pems.forEach((pem, i) => {
    if (pem.length > TOKEN_LIMITS.pemChars) throw invalid(`peering token invalid CA: certificate ${i + 1} is longer than ${TOKEN_LIMITS.pemChars} characters`);
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw invalid('peering token invalid CA: no PEM-encoded data found');
    if (blocks.length > 1) throw invalid(`peering token invalid CA: entry ${i + 1} holds more than one certificate`);
    try {
      new X509Certificate(blocks[0] as string);
    } catch {
      throw invalid(`peering token invalid CA: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

export function validateToken(t: PeeringToken): void {
  validateCa(t.CA);
  const addrs = t.ManualServerAddresses && t.ManualServerAddresses.length > 0 ? t.ManualServerAddresses : t.ServerAddresses;
  if (addrs.length === 0) throw invalid('peering token server addresses value is empty');
  const all = [...t.ServerAddresses, ...(t.ManualServerAddresses ?? [])];
  if (all.length > TOKEN_LIMITS.addressCount) throw invalid(`peering token server addresses value has more than ${TOKEN_LIMITS.addressCount} entries`);
  for (const a of all) {
    if (a.length > TOKEN_LIMITS.addressChars) tooLong('server address', TOKEN_LIMITS.addressChars);
    if (!isValidServerAddress(a)) throw invalid(`${a} is not a valid peering server address`);
  }
  if (t.ServerName === '') throw invalid('peering token server name value is empty');
  if (t.ServerName.length > TOKEN_LIMITS.serverNameChars) tooLong('server name', TOKEN_LIMITS.serverNameChars);
  if (t.PeerID === '') throw invalid('peering token peer ID value is empty');
  if (t.PeerID.length > TOKEN_LIMITS.idChars) tooLong('peer ID', TOKEN_LIMITS.idChars);
  if (t.EstablishmentSecret.length > TOKEN_LIMITS.idChars) tooLong('establishment secret', TOKEN_LIMITS.idChars);
  for (const [what, v] of [['remote partition', t.Remote.Partition], ['remote datacenter', t.Remote.Datacenter], ['remote region', t.Remote.Locality?.Region ?? ''], ['remote zone', t.Remote.Locality?.Zone ?? '']] as const) {
    if (v.length > TOKEN_LIMITS.remoteChars) tooLong(what, TOKEN_LIMITS.remoteChars);
  }
}
