// Network namespaces for transparent-proxy tests: one namespace joined to the host by a veth pair,
// unique names and a random /24, always torn down. Needs root and a kernel that allows netns/iptables.
import { execFile, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Netns {
  name: string;
  /** The namespace's file, for `-netns`. */
  path: string;
  hostIp: string;
  nsIp: string;
  /** `ip netns exec <name>` (optionally as a user): prepend to a command to run it inside. */
  prefix(uid?: number): string[];
  /** Runs a command inside (as `uid` when given) and resolves with its output; never hangs. */
  exec(cmd: string[], uid?: number, timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  destroy(): void;
}

function sh(args: string[]): void {
  execFileSync(args[0] as string, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Why namespaces cannot be used here (not root, no `ip`, kernel refuses), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = `isth-probe-${process.pid}`;
  try {
    sh(['ip', 'netns', 'add', probe]);
    sh(['ip', 'netns', 'exec', probe, 'iptables', '-t', 'nat', '-N', 'ISTHMUS_PROBE']);
    sh(['ip', 'netns', 'exec', probe, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-m', 'owner', '--uid-owner', '1', '-j', 'RETURN']);
    return undefined;
  } catch (err) {
    return `the kernel or tools refused network namespaces/iptables: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`;
  } finally {
    try {
      sh(['ip', 'netns', 'del', probe]);
    } catch {
      // not created
    }
  }
}

export function createNetns(tag: string): Netns {
  const id = `${process.pid.toString(36)}${randomInt(36 ** 3).toString(36)}`.slice(-6);
  const name = `isth-${tag}-${id}`;
  const hostIf = `ih${id}`;
  const nsIf = `in${id}`;
  const net = `10.${randomInt(200, 250)}.${randomInt(1, 254)}`;
  const hostIp = `${net}.1`;
  const nsIp = `${net}.2`;
  const destroy = (): void => {
    for (const c of [['ip', 'link', 'del', hostIf], ['ip', 'netns', 'del', name]]) {
      try {
        sh(c);
      } catch {
        // already gone
      }
    }
  };
  try {
    sh(['ip', 'netns', 'add', name]);
    sh(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh(['ip', 'link', 'set', nsIf, 'netns', name]);
    sh(['ip', 'addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
    sh(['ip', 'link', 'set', hostIf, 'up']);
    sh(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/24`, 'dev', nsIf]);
    sh(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up']);
    sh(['ip', 'netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', hostIp]);
  } catch (err) {
    destroy();
    throw err;
  }
  process.once('exit', destroy);
  const prefix = (uid?: number): string[] => ['ip', 'netns', 'exec', name, ...(uid === undefined ? [] : ['setpriv', '--reuid', String(uid), '--regid', String(uid), '--clear-groups'])];
  return {
    name,
    path: `/var/run/netns/${name}`,
    hostIp,
    nsIp,
    prefix,
    async exec(cmd, uid, timeoutMs = 20_000) {
      const [bin, ...args] = [...prefix(uid), ...cmd];
      try {
        const r = await run(bin as string, args, { timeout: timeoutMs });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
      }
    },
    destroy,
  };
}
