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
import { wireSize } from '../codec.js';
import { drainedOf } from '../drain.js';
import { checkExchangeFields, checkOpenFields, checkUnauthenticatedSize, OPEN_LIMITS } from './open-limits.js';
import { followerError, FOLLOWER_MESSAGE, NOT_LEADER_ANYMORE_MESSAGE } from '../leader-status.js';
import { boundedDetails, toGrpcError } from '../status.js';

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

export function peerStreamService(
  deps: { peering: PeeringService; sessionDeps: SessionDeps; registry: SessionRegistry; log: Logger; leadership?: StreamLeadership },
  options: PeerStreamOptions = {},
): UntypedServiceImplementation {
  const { peering, registry, log } = deps;
  return {
    exchangeSecret(call: ServerUnaryCall<{ PeerID: string; EstablishmentSecret: string }, unknown>, cb: sendUnaryData<unknown>) {
      try {
        checkUnauthenticatedSize(wireSize(call.request), OPEN_LIMITS.exchangeRequestBytes, 'ExchangeSecret request');
        checkExchangeFields(call.request);
      } catch (err) {
        log.warn('refused an ExchangeSecret request', { reason: (err as Error).message });
        cb(toGrpcError(err));
        return;
      }
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
        if (statusSent) return;
        statusSent = true;
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
      // The stream ends once, with one status: the first error status wins over a later plain end.
      let statusSent = false;
      const fail = (code: status, details: string): void => {
        if (statusSent) return;
        statusSent = true;
        const d = boundedDetails(details);
        call.emit('error', { code, details: d, message: d } as Partial<ServiceError>);
      };
      const endOk = (): void => {
        if (statusSent) return;
        statusSent = true;
        call.end();
      };
      const finish = (end: { error?: string }): void => {
        if (closed) return;
        closed = true;
        if (session) {
          peering.tracker.disconnect(session.id, end.error);
          log.info('peer stream disconnected', { peer: peering.byId(session.id)?.value.Name, role: 'acceptor', reason: end.error ?? 'closed' });
        }
      };
      const handle = async (msg: ReplicationMessage): Promise<void> => {
        if (statusSent) return;
        if (!session) {
          const open = msg.Payload.case === 'open' ? msg.Payload.value : undefined;
          let record;
          try {
            // Before authentication: bound the message and every field before any of them is used.
            checkUnauthenticatedSize(wireSize(msg), OPEN_LIMITS.firstMessageBytes, 'the first message of a peer stream');
            if (!open) throw new IsthmusError('INVALID_ARGUMENT', 'first message when initiating a peering must be: Open');
            checkOpenFields(open);
            const remote = open.Remote ? { Partition: open.Remote.Partition, Datacenter: open.Remote.Datacenter, ...(open.Remote.Locality ? { Locality: { Region: open.Remote.Locality.Region, Zone: open.Remote.Locality.Zone } } : {}) } : undefined;
            record = await peering.authorizeOpen({ PeerID: open.PeerID, StreamSecretID: open.StreamSecretID, ...(remote ? { Remote: remote } : {}) });
          } catch (err) {
            if (IsthmusError.is(err) && err.reason === 'PEERING_INACTIVE') call.write({ Payload: { case: 'terminated', value: {} } });
            log.warn('refused a peer stream', { reason: (err as Error).message });
            const g = toGrpcError(err);
            return fail(g.code ?? status.INTERNAL, g.details ?? 'internal error');
          }
          // The session half-closes through endOk on a later tick, so an error status from `done` wins.
          const s = new PeerSession(deps.sessionDeps, { send: (m) => call.write(m), drained: () => drainedOf(call), end: () => setImmediate(endOk) }, { role: 'acceptor', record, ...options });
          if (!registry.add(s) || !peering.tracker.connect(record.ID)) {
            return fail(status.FAILED_PRECONDITION, 'there is an active stream for the given PeerID');
          }
          session = s;
          log.info('peer stream connected', { peer: record.Name, role: 'acceptor' });
          void s.done.then((end) => {
            finish(end);
            if (end.error && !end.terminatedLocally) fail(status.INTERNAL, end.error);
          });
          s.start();
          return;
        }
        try {
          await session.receive(msg);
        } catch (err) {
          if (err instanceof StreamError) {
            // End the session (its half-close is deferred), then send the coded status at once (spec §4:
            // INVALID_ARGUMENT for an unknown ResourceURL or a second Open) before anything else can.
            session.end({ error: err.message });
            fail(status[err.code], err.message);
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
          fail(status.INTERNAL, 'internal error');
        });
      });
      call.on('end', () => {
        void chain.then(() => {
          if (session) session.end({ error: 'stream ended unexpectedly' });
          else endOk();
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
