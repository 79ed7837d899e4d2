// hashicorp.consul.internal.peerstream.PeerStreamService on the acceptor: ExchangeSecret and the
// StreamResources handshake (spec §4.4), then the shared PeerSession drives the stream.
import type { ServerDuplexStream, ServerUnaryCall, sendUnaryData, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { ReplicationMessage } from '../../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { IsthmusError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import { PeerSession, StreamError, type MessageInit, type SessionDeps } from '../../peering/session.js';
import type { SessionRegistry } from '../../peering/sessions.js';
import type { PeeringService } from '../../peering/service.js';
import { followerError, FOLLOWER_MESSAGE, NOT_LEADER_ANYMORE_MESSAGE } from '../leader-status.js';
import { toGrpcError } from '../status.js';

/** Several servers: only the leader serves StreamResources (spec §4.1). */
export interface StreamLeadership {
  isLeader(): boolean;
  /** The leader's gRPC address (the hint given to dialers that reached a follower). */
  leaderAddress(): string | undefined;
  onChange(fn: () => void): () => void;
  /** Whether the known leader cannot be reached (a quick connect probe). */
  leaderUnreachable?: () => Promise<boolean>;
  /** How long a follower holds a stream while the leader is unreachable. */
  holdMs?: number;
}

export interface PeerStreamOptions {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

type Call = ServerDuplexStream<ReplicationMessage, MessageInit>;

function fail(call: Call, code: status, details: string): void {
  call.emit('error', { code, details, message: details } as Partial<ServiceError>);
}

export function peerStreamService(
  deps: { peering: PeeringService; sessionDeps: SessionDeps; registry: SessionRegistry; log: Logger; leadership?: StreamLeadership },
  options: PeerStreamOptions = {},
): UntypedServiceImplementation {
  const { peering, registry, log } = deps;
  return {
    exchangeSecret(call: ServerUnaryCall<{ PeerID: string; EstablishmentSecret: string }, unknown>, cb: sendUnaryData<unknown>) {
      peering.exchangeSecret(call.request.PeerID, call.request.EstablishmentSecret).then(
        (secret) => cb(null, { StreamSecret: secret }),
        (err: unknown) => {
          if (!IsthmusError.is(err) || err.code === 'INTERNAL') log.error('ExchangeSecret failed', { error: (err as Error).message });
          cb(toGrpcError(err));
        },
      );
    },

    streamResources(call: Call) {
      const leadership = deps.leadership;
      const serve = (): void => {
      // Losing leadership ends the stream (Consul checks on the next message; we also end it at once
      // so the peer redials the new leader without waiting for a heartbeat).
      let stepDown: (() => void) | undefined;
      const notLeader = (): void => {
        stepDown?.();
        stepDown = undefined;
        session?.end({ error: NOT_LEADER_ANYMORE_MESSAGE });
        call.emit('error', followerError(NOT_LEADER_ANYMORE_MESSAGE, leadership?.leaderAddress()));
      };
      if (leadership) {
        stepDown = leadership.onChange(() => {
          if (!leadership.isLeader()) notLeader();
        });
        const off = (): void => {
          stepDown?.();
          stepDown = undefined;
        };
        call.once('close', off);
        call.once('finish', off);
        call.once('cancelled', off);
        call.once('error', off);
      }
      let session: PeerSession | undefined;
      let chain: Promise<void> = Promise.resolve();
      let closed = false;
      const finish = (end: { error?: string }): void => {
        if (closed) return;
        closed = true;
        if (session) {
          peering.tracker.disconnect(session.id, end.error);
          log.info('peer stream disconnected', { peer: peering.byId(session.id)?.value.Name, role: 'acceptor', reason: end.error ?? 'closed' });
        }
      };
      const handle = async (msg: ReplicationMessage): Promise<void> => {
        if (!session) {
          if (msg.Payload.case !== 'open') return fail(call, status.INVALID_ARGUMENT, 'first message when initiating a peering must be: Open');
          let record;
          try {
            record = await peering.authorizeOpen({ PeerID: msg.Payload.value.PeerID, StreamSecretID: msg.Payload.value.StreamSecretID, ...(msg.Payload.value.Remote ? { Remote: { Partition: msg.Payload.value.Remote.Partition, Datacenter: msg.Payload.value.Remote.Datacenter } } : {}) });
          } catch (err) {
            if (IsthmusError.is(err) && err.reason === 'PEERING_INACTIVE') call.write({ Payload: { case: 'terminated', value: {} } });
            log.warn('refused a peer stream', { reason: (err as Error).message });
            const g = toGrpcError(err);
            return fail(call, g.code ?? status.INTERNAL, g.details ?? 'internal error');
          }
          const s = new PeerSession(deps.sessionDeps, { send: (m) => call.write(m), end: () => call.end() }, { role: 'acceptor', record, ...options });
          if (!registry.add(s) || !peering.tracker.connect(record.ID)) {
            return fail(call, status.FAILED_PRECONDITION, 'there is an active stream for the given PeerID');
          }
          session = s;
          log.info('peer stream connected', { peer: record.Name, role: 'acceptor' });
          void s.done.then((end) => {
            finish(end);
            if (end.error && !end.terminatedLocally) fail(call, status.INTERNAL, end.error);
          });
          s.start();
          return;
        }
        try {
          await session.receive(msg);
        } catch (err) {
          if (err instanceof StreamError) {
            session.end({ error: err.message });
            fail(call, status[err.code], err.message);
            return;
          }
          throw err;
        }
      };
      call.on('data', (msg: ReplicationMessage) => {
        if (leadership && !leadership.isLeader()) return notLeader();
        chain = chain.then(() => handle(msg)).catch((err: unknown) => {
          log.error('peer stream handler failed', { error: (err as Error).message });
          session?.end({ error: (err as Error).message });
        });
      });
      call.on('end', () => {
        void chain.then(() => {
          if (session) session.end({ error: 'stream ended unexpectedly' });
          else call.end();
        });
      });
      call.on('cancelled', () => session?.end({ error: 'stream cancelled by the peer' }));
      call.on('error', () => session?.end({ error: 'stream error' }));
      };
      if (!leadership || leadership.isLeader()) return serve();
      void followerMayServe(leadership).then((lead) => (lead ? serve() : call.emit('error', followerError(FOLLOWER_MESSAGE, leadership.leaderAddress()))));
    },
  };
}

/**
 * A follower fails StreamResources at once, pointing at the leader. Only when the leader it knows
 * is unreachable (killed; its lease not yet expired) does it hold the call until the election moves
 * (at most `holdMs`): if it wins, it serves the stream; otherwise it answers with the new leader.
 */
async function followerMayServe(leadership: StreamLeadership): Promise<boolean> {
  if (!leadership.leaderUnreachable || !(await leadership.leaderUnreachable())) return false;
  const holdMs = leadership.holdMs ?? 0;
  const before = leadership.leaderAddress();
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, holdMs);
    const off = leadership.onChange(() => {
      if (leadership.isLeader() || (leadership.leaderAddress() !== undefined && leadership.leaderAddress() !== before)) done();
    });
    function done(): void {
      clearTimeout(t);
      off();
      resolve();
    }
  });
  return leadership.isLeader();
}
