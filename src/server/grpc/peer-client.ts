// The dialing side's gRPC client for the peer stream: TLS to the acceptor's CA and server name,
// 8 MiB message limits, keepalive; ExchangeSecret with Consul's retry timing (spec §4.1, §5.3).
import { credentials, makeGenericClientConstructor, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { IsthmusError } from '../../lib/errors.js';
import { PeerStreamService, type ReplicationMessage } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { exchangeRetryWaitMs } from '../peering/backoff.js';
import type { Connector, PeerConnection } from '../peering/dialer.js';
import type { ExchangeFn } from '../peering/service.js';
import { MAX_STREAM_MESSAGE_BYTES, type MessageInit } from '../peering/session.js';
import { serviceDefinition } from './codec.js';
import { drainedOf } from './drain.js';
import { leaderHint } from './leader-status.js';
import { fromGrpcError, grpcCodeName } from './status.js';

const EXCHANGE_WINDOW_MS = 3_000;
const DIAL_TIMEOUT_MS = 2_000;
const PeerStreamClient = makeGenericClientConstructor(serviceDefinition(PeerStreamService), 'PeerStreamService');

/**
 * The only way this file builds a client: TLS verified against the peer's CA and server name. There is
 * no plaintext path; a missing CA or name is refused here, whatever validation ran before (issue 10).
 */
function clientFor(address: string, tls: { caPems: string[]; serverName: string }): InstanceType<typeof PeerStreamClient> {
  if (tls.caPems.length === 0 || tls.caPems.every((p) => p.trim() === '')) {
    throw new IsthmusError('FAILED_PRECONDITION', `refusing to dial peer at "${address}": no CA certificate to verify it with`, { reason: 'PEER_TLS_NO_CA' });
  }
  if (tls.serverName === '') throw new IsthmusError('FAILED_PRECONDITION', `refusing to dial peer at "${address}": no TLS server name to verify`, { reason: 'PEER_TLS_NO_CA' });
  const creds = credentials.createSsl(Buffer.from(tls.caPems.join('\n')));
  return new PeerStreamClient(address, creds, {
    'grpc.ssl_target_name_override': tls.serverName,
    'grpc.default_authority': tls.serverName,
    'grpc.max_send_message_length': MAX_STREAM_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_STREAM_MESSAGE_BYTES,
    // A receive window of one full message: a bulk export is not throttled to 64 KiB per round trip.
    'grpc-node.flow_control_window': MAX_STREAM_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
}

/** The TLS verification reason in a failed call (certificate chain or name mismatch), if that is what failed. */
export function tlsVerificationFailure(e: { code?: number; details?: string; message?: string }): string | undefined {
  if (e.code !== status.UNAVAILABLE) return undefined;
  const text = `${e.details ?? ''} ${e.message ?? ''}`;
  const m = TLS_FAILURE.exec(text);
  return m ? m[0].trim() : undefined;
}

const TLS_FAILURE =
  /(self[- ]signed certificate[^;,)]*|unable to (?:verify|get)[^;,)]*|certificate (?:has expired|is not yet valid|signature failure)[^;,)]*|Hostname\/IP does not match certificate's altnames[^;)]*|ERR_TLS_CERT_ALTNAME_INVALID|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT)/i;

/**
 * A peer failed TLS verification. Reported as FAILED_PRECONDITION (HTTP 400), not UNAVAILABLE (503):
 * retrying with the same token cannot succeed; the token's CA or server name does not match the peer.
 */
export function peerTlsError(address: string, tls: { serverName: string; caPems: string[] }, reason: string): IsthmusError {
  return new IsthmusError(
    'FAILED_PRECONDITION',
    `TLS verification of the peer failed: the server at "${address}" did not present a certificate for "${tls.serverName}" signed by the peering token's CA (${tls.caPems.length} certificate(s)): ${reason}. Check that the token comes from that cluster and is current, or generate a new token`,
    { reason: 'PEER_TLS_VERIFICATION_FAILED', details: { address, serverName: tls.serverName } },
  );
}

/** ExchangeSecret against the acceptor: 3 s window, 2 s per attempt, 150 ms ± 25 % between tries. */
export const exchangeSecret: ExchangeFn = async (target, req) => {
  const deadline = Date.now() + EXCHANGE_WINDOW_MS;
  const errors: string[] = [];
  for (let i = 0; ; i++) {
    const address = target.addresses[i % target.addresses.length] as string;
    const client = clientFor(address, target);
    try {
      const res = await new Promise<{ StreamSecret: string }>((resolve, reject) => {
        client.makeUnaryRequest(
          '/hashicorp.consul.internal.peerstream.PeerStreamService/ExchangeSecret',
          serviceDefinition(PeerStreamService).exchangeSecret!.requestSerialize,
          serviceDefinition(PeerStreamService).exchangeSecret!.responseDeserialize as (b: Buffer) => { StreamSecret: string },
          req,
          new Metadata(),
          { deadline: Date.now() + Math.min(DIAL_TIMEOUT_MS, Math.max(1, deadline - Date.now())) },
          (err, value) => (err ? reject(err) : resolve(value as { StreamSecret: string })),
        );
      });
      return res.StreamSecret;
    } catch (err) {
      const e = err as ServiceError;
      if (e.code === status.PERMISSION_DENIED) throw fromGrpcError(e);
      // A peer that cannot prove its identity will not prove it on the next try either: stop at once.
      const tlsFailure = tlsVerificationFailure(e);
      if (tlsFailure !== undefined) throw peerTlsError(address, target, tlsFailure);
      errors.push(`failed to exchange peering secret through address "${address}": ${grpcCodeName(e.code)}: ${e.details || e.message}`);
    } finally {
      client.close();
    }
    if (Date.now() + 150 >= deadline) break;
    await new Promise((r) => setTimeout(r, exchangeRetryWaitMs()));
  }
  throw new IsthmusError('UNAVAILABLE', errors.join('; '));
};

/** Opens a StreamResources call; the returned connection adapts it for the dial manager. */
export const connectPeer: Connector = (address, tls) => {
  const client = clientFor(address, tls);
  const call = client.makeBidiStreamRequest(
    '/hashicorp.consul.internal.peerstream.PeerStreamService/StreamResources',
    serviceDefinition(PeerStreamService).streamResources!.requestSerialize,
    serviceDefinition(PeerStreamService).streamResources!.responseDeserialize as (b: Buffer) => ReplicationMessage,
  ) as ClientDuplexStream<MessageInit, ReplicationMessage>;
  const conn: PeerConnection = {
    send: (m) => call.write(m),
    drained: () => drainedOf(call),
    end: () => call.end(),
    cancel: () => {
      call.cancel();
      client.close();
    },
    messages: {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const m of call as AsyncIterable<ReplicationMessage>) yield m;
        } catch (err) {
          const e = err as ServiceError;
          const tlsFailure = tlsVerificationFailure(e);
          const text = tlsFailure !== undefined ? peerTlsError(address, tls, tlsFailure).message : `${grpcCodeName(e.code)}: ${e.details || e.message}`;
          const hint = leaderHint(e);
          throw Object.assign(new Error(text), { grpcCode: grpcCodeName(e.code), ...(hint ? { leaderAddress: hint } : {}) });
        } finally {
          client.close();
        }
      },
    },
  };
  return conn;
};
