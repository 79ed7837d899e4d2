// The peering token (spec §2): base64 of a JSON object with Consul's keys in Consul's order.
import { invalid } from '../../lib/errors.js';
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

/** Decodes and validates a token with the spec's messages. Never echoes the token itself. */
export function decodeToken(text: string): PeeringToken {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw invalid('failed to decode peering token: illegal base64 data');
  }
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(trimmed, 'base64').toString('utf8'));
  } catch (err) {
    throw invalid(`failed to decode peering token: ${(err as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalid('failed to decode peering token: not a JSON object');
  const o = obj as Record<string, unknown>;
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const remote = (o.Remote ?? {}) as Record<string, unknown>;
  const t: PeeringToken = {
    CA: strs(o.CA),
    ManualServerAddresses: o.ManualServerAddresses === null ? null : strs(o.ManualServerAddresses),
    ServerAddresses: strs(o.ServerAddresses),
    ServerName: typeof o.ServerName === 'string' ? o.ServerName : '',
    PeerID: typeof o.PeerID === 'string' ? o.PeerID : '',
    EstablishmentSecret: typeof o.EstablishmentSecret === 'string' ? o.EstablishmentSecret : '',
    Remote: {
      Partition: typeof remote.Partition === 'string' ? remote.Partition : '',
      Datacenter: typeof remote.Datacenter === 'string' ? remote.Datacenter : '',
      Locality: (remote.Locality as RemoteInfo['Locality']) ?? null,
    },
  };
  validateToken(t);
  return t;
}

export function validateToken(t: PeeringToken): void {
  for (const pem of t.CA) {
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) throw invalid('peering token invalid CA: no PEM-encoded data found');
  }
  const addrs = t.ManualServerAddresses && t.ManualServerAddresses.length > 0 ? t.ManualServerAddresses : t.ServerAddresses;
  if (addrs.length === 0) throw invalid('peering token server addresses value is empty');
  for (const a of [...t.ServerAddresses, ...(t.ManualServerAddresses ?? [])]) {
    if (!isValidServerAddress(a)) throw invalid(`${a} is not a valid peering server address`);
  }
  if (t.CA.length > 0 && t.ServerName === '') throw invalid('peering token server name value is empty');
  if (t.PeerID === '') throw invalid('peering token peer ID value is empty');
}
