// The command tree: resolves argv to a command, parses its flags strictly, runs it, maps errors to exit codes.
import { parseArgs } from 'node:util';
import { IsthmusError } from '../lib/errors.js';
import { ApiError, ConnectionError, DEFAULT_HTTP_ADDR, IsthmusClient } from '../sdk/client.js';
import { UsageError, type Command, type CommandContext, type FlagSpec } from './command.js';
import { agentCommand } from './commands/agent.js';
import { catalogNodesCommand } from './commands/catalog/nodes.js';
import { catalogServicesCommand } from './commands/catalog/services.js';
import { servicesDeregisterCommand } from './commands/services/deregister.js';
import { servicesRegisterCommand } from './commands/services/register.js';
import { servicesExportCommand } from './commands/services/export.js';
import { configWriteCommand } from './commands/config/write.js';
import { connectGatewayCommand } from './commands/connect/gateway.js';
import { connectProxyCommand } from './commands/connect/proxy.js';
import { demoCommand } from './commands/demo.js';
import { ACL_COMMANDS } from './commands/acl/acl.js';
import { peeringEstablishCommand, peeringGenerateTokenCommand } from './commands/peering/token.js';
import {
  peeringDeleteCommand,
  peeringExportedServicesCommand,
  peeringListCommand,
  peeringReadCommand,
  servicesExportedServicesCommand,
} from './commands/peering/read.js';
import { configDeleteCommand, configListCommand, configReadCommand } from './commands/config/read.js';
import { k8sControllerCommand } from './commands/k8s/controller.js';

export const COMMANDS: readonly Command[] = [
  agentCommand,
  catalogServicesCommand,
  catalogNodesCommand,
  servicesRegisterCommand,
  servicesDeregisterCommand,
  servicesExportCommand,
  configWriteCommand,
  configReadCommand,
  configListCommand,
  configDeleteCommand,
  peeringGenerateTokenCommand,
  peeringEstablishCommand,
  peeringListCommand,
  peeringReadCommand,
  peeringDeleteCommand,
  peeringExportedServicesCommand,
  servicesExportedServicesCommand,
  connectProxyCommand,
  connectGatewayCommand,
  demoCommand,
  ...ACL_COMMANDS,
  k8sControllerCommand,
];

const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  'http-addr': { type: 'string', doc: `Server HTTP address (env ISTHMUS_HTTP_ADDR, default ${DEFAULT_HTTP_ADDR}).` },
  token: { type: 'string', doc: 'ACL token (env ISTHMUS_HTTP_TOKEN).' },
  format: { type: 'string', doc: 'Output format: pretty or json.', default: 'pretty' },
  help: { type: 'boolean', short: 'h', doc: 'Show help.' },
};

/** Accepts Consul's single-dash long flags (`-http-addr=x`) as well as `--http-addr=x`. */
export function normalizeArgs(argv: string[]): string[] {
  return argv.map((a) => (/^-[a-z][a-z0-9-]+(=.*)?$/i.test(a) ? `-${a}` : a));
}

function helpText(cmds: readonly Command[]): string {
  const lines = ['Usage: isthmus <command> [flags]', '', 'Commands:'];
  for (const c of cmds) lines.push(`  ${c.path.join(' ').padEnd(22)} ${c.summary}`);
  lines.push('', 'Global flags: --http-addr ADDR, --token TOKEN, --format pretty|json');
  return lines.join('\n');
}

function commandHelp(c: Command): string {
  const lines = [`Usage: ${c.usage}`, '', c.summary, '', 'Flags:'];
  for (const [name, f] of Object.entries({ ...c.flags, ...GLOBAL_FLAGS })) lines.push(`  --${name.padEnd(18)} ${f.doc}`);
  return lines.join('\n');
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  /** [node, script] to re-run this CLI (the demo starts its clusters this way). */
  self?: string[];
}

/** Runs the CLI; returns the process exit code (0 ok, 1 API/runtime error, 2 usage error). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const args = normalizeArgs(argv);
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const cmd = [...COMMANDS].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((p, i) => words[i] === p));
  if (!cmd) {
    if (words.length === 0 || words[0] === 'help' || args.includes('--help') || args.includes('-h')) {
      io.out(helpText(COMMANDS));
      return words.length === 0 && !args.includes('--help') && !args.includes('-h') ? 2 : 0;
    }
    io.err(`Error: unknown command "${words.join(' ')}"\n\n${helpText(COMMANDS)}`);
    return 2;
  }
  const rest = args.slice(cmd.path.length);
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, f] of Object.entries({ ...GLOBAL_FLAGS, ...cmd.flags })) {
    options[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`Error: ${(err as Error).message}\n\n${commandHelp(cmd)}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(commandHelp(cmd));
    return 0;
  }
  const [min, max] = cmd.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    io.err(`Error: ${cmd.path.join(' ')} takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\n\n${commandHelp(cmd)}`);
    return 2;
  }
  const format = (parsed.values.format as string | undefined) ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    io.err('Invalid format, valid formats are {json|pretty}');
    return 2;
  }
  const ctx: CommandContext = {
    client: () =>
      new IsthmusClient({
        address: (parsed.values['http-addr'] as string | undefined) ?? io.env.ISTHMUS_HTTP_ADDR ?? DEFAULT_HTTP_ADDR,
        ...(((parsed.values.token as string | undefined) ?? io.env.ISTHMUS_HTTP_TOKEN) ? { token: (parsed.values.token as string | undefined) ?? io.env.ISTHMUS_HTTP_TOKEN } : {}),
      }),
    format,
    out: io.out,
    err: io.err,
    env: io.env,
    self: io.self ?? [],
  };
  try {
    const code = await cmd.run({ flags: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals }, ctx);
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`Error: ${err.message}\n\n${commandHelp(cmd)}`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.err(`Error: ${cmd.path.join(' ')} failed: Unexpected response code: ${err.status} (${err.message})`);
      return 1;
    }
    if (err instanceof ConnectionError || IsthmusError.is(err)) {
      io.err(`Error: ${err.message}`);
      return 1;
    }
    io.err(`Error: ${(err as Error).message}${io.env.ISTHMUS_DEBUG ? `\n${(err as Error).stack}` : ''}`);
    return 1;
  }
}
