// Is a server's port accepting connections? A killed leader refuses at once; a live one accepts.
import net from 'node:net';
import type { Leadership } from './leadership.js';

/** Resolves false when `host:port` accepts a TCP connection within `timeoutMs`, true otherwise. */
export function unreachable(address: string, timeoutMs = 300): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (gone: boolean): void => {
      sock.destroy();
      resolve(gone);
    };
    sock.setTimeout(timeoutMs, () => done(true));
    sock.once('connect', () => done(false));
    sock.once('error', () => done(true));
  });
}

/** What the peer-stream acceptor needs to know about leadership (see grpc/services/peerstream.ts). */
export function streamLeadership(leadership: Leadership, holdMs: number) {
  return {
    isLeader: () => leadership.isLeader(),
    leaderAddress: () => leadership.leader()?.GRPCAddr,
    onChange: (fn: () => void) => leadership.onChange(fn),
    leaderUnreachable: async (): Promise<boolean> => {
      const addr = leadership.leader()?.GRPCAddr;
      return addr ? unreachable(addr) : false;
    },
    holdMs,
  };
}
