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
import { leaderHint } from './leader-status.js';
import { fromGrpcError, grpcCodeName } from './status.js';

const EXCHANGE_WINDOW_MS = 3_000;
const DIAL_TIMEOUT_MS = 2_000;
const PeerStreamClient = makeGenericClientConstructor(serviceDefinition(PeerStreamService), 'PeerStreamService');

function clientFor(address: string, tls: { caPems: string[]; serverName: string }): InstanceType<typeof PeerStreamClient> {
  const creds = tls.caPems.length > 0 ? credentials.createSsl(Buffer.from(tls.caPems.join('\n'))) : credentials.createInsecure();
  return new PeerStreamClient(address, creds, {
    ...(tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {}),
    'grpc.max_send_message_length': MAX_STREAM_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_STREAM_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
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
    send: (m) => {
      call.write(m);
    },
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
          const hint = leaderHint(e);
          throw Object.assign(new Error(`${grpcCodeName(e.code)}: ${e.details || e.message}`), { grpcCode: grpcCodeName(e.code), ...(hint ? { leaderAddress: hint } : {}) });
        } finally {
          client.close();
        }
      },
    },
  };
  return conn;
};
