// Bounds on what an unauthenticated peer may send before its stream secret is checked (issue 10,
// class 7): every field is size-checked before it is looked up, stored, logged or echoed.
import { IsthmusError } from '../../../lib/errors.js';

export const OPEN_LIMITS = {
  /** The first message of a stream (an Open) is a few hundred bytes; anything larger is refused unread. */
  firstMessageBytes: 16 * 1024,
  /** ExchangeSecret requests carry two UUIDs. */
  exchangeRequestBytes: 4 * 1024,
  /** PeerID and secrets are UUIDs (36 characters); leave room, refuse the absurd. */
  idChars: 128,
  /** Remote partition, datacenter, region and zone. */
  remoteChars: 128,
} as const;

function tooLong(what: string, limit: number): IsthmusError {
  return new IsthmusError('INVALID_ARGUMENT', `${what} is too long (limit: ${limit} characters)`);
}

/** Checks the size of a pre-authentication message as received on the wire. */
export function checkUnauthenticatedSize(bytes: number | undefined, limit: number, what: string): void {
  if (bytes !== undefined && bytes > limit) {
    throw new IsthmusError('RESOURCE_EXHAUSTED', `${what} is ${bytes} bytes, over the ${limit}-byte limit before authentication`);
  }
}

/** Checks every string field of an Open before any of them is used. */
export function checkOpenFields(open: { PeerID: string; StreamSecretID: string; Remote?: { Partition: string; Datacenter: string; Locality?: { Region: string; Zone: string } | undefined } | undefined }): void {
  if (open.PeerID.length > OPEN_LIMITS.idChars) throw tooLong('initial subscription request PeerID', OPEN_LIMITS.idChars);
  if (open.StreamSecretID.length > OPEN_LIMITS.idChars) throw tooLong('initial subscription request StreamSecretID', OPEN_LIMITS.idChars);
  const r = open.Remote;
  if (!r) return;
  for (const [what, v] of [['Partition', r.Partition], ['Datacenter', r.Datacenter], ['Locality.Region', r.Locality?.Region ?? ''], ['Locality.Zone', r.Locality?.Zone ?? '']] as const) {
    if (v.length > OPEN_LIMITS.remoteChars) throw tooLong(`initial subscription request Remote.${what}`, OPEN_LIMITS.remoteChars);
  }
}

/** Checks an ExchangeSecret request's fields before the secret is compared. */
export function checkExchangeFields(req: { PeerID: string; EstablishmentSecret: string }): void {
  if (req.PeerID.length > OPEN_LIMITS.idChars) throw tooLong('ExchangeSecret PeerID', OPEN_LIMITS.idChars);
  if (req.EstablishmentSecret.length > OPEN_LIMITS.idChars) throw tooLong('ExchangeSecret EstablishmentSecret', OPEN_LIMITS.idChars);
}
