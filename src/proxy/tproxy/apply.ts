// Applies iptables rules one by one (not atomic, as Consul does), optionally inside a network
// namespace given as a path (`nsenter --net=<path>`).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function applyIptablesRules(rules: string[][], options: { netns?: string; iptables?: string } = {}): Promise<void> {
  const bin = options.iptables ?? 'iptables';
  for (const r of rules) {
    const [cmd, args] = options.netns ? ['nsenter', [`--net=${options.netns}`, '--', bin, ...r]] : [bin, r];
    try {
      await run(cmd, args, { timeout: 10_000 });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      throw new Error(`failed to run command: ${bin} ${r.join(' ')}, err: ${stderr || (err as Error).message}`);
    }
  }
}
