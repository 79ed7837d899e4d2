// The follower's answer to StreamResources (spec §4.1): FailedPrecondition with a
// hashicorp.consul.internal.peerstream.LeaderAddress detail in grpc-status-details-bin, and the
// dialer's side: reading that hint back.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { LeaderAddressSchema } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { StatusSchema } from '../../gen/hashicorp/consul/internal/status/status_pb.js';

export const FOLLOWER_MESSAGE = 'cannot establish a peering stream on a follower node';
export const NOT_LEADER_ANYMORE_MESSAGE = 'node is not a leader anymore; cannot continue streaming';
const DETAILS_KEY = 'grpc-status-details-bin';

/** A FailedPrecondition status, with the leader's address as a detail when one is known. */
export function followerError(message: string, leaderAddress: string | undefined): Partial<ServiceError> {
  const metadata = new Metadata();
  const details = leaderAddress ? [anyPack(LeaderAddressSchema, create(LeaderAddressSchema, { address: leaderAddress }))] : [];
  metadata.set(DETAILS_KEY, Buffer.from(toBinary(StatusSchema, create(StatusSchema, { code: status.FAILED_PRECONDITION, message, details }))));
  return { code: status.FAILED_PRECONDITION, details: message, message, metadata };
}

/** The LeaderAddress hint of a failed call, if it carries one. */
export function leaderHint(err: Partial<ServiceError>): string | undefined {
  const raw = err.metadata?.get(DETAILS_KEY)[0];
  if (!raw || typeof raw === 'string') return undefined;
  try {
    const st = fromBinary(StatusSchema, raw);
    for (const d of st.details) {
      const la = anyUnpack(d, LeaderAddressSchema);
      if (la?.address) return la.address;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
