// The command tree: resolves argv to a command, parses its flags strictly, runs it, maps errors to exit codes.
import { readFileSync } from 'node:fs';
import { IsthmusError } from '../lib/errors.js';
import { ApiError, ClientConfigError, ConnectionError, IsthmusClient } from '../sdk/client.js';
import { FlagError, parseFlags, type FlagValues } from './flags.js';
import { clientOptions, HTTP_FLAGS } from './http-flags.js';
import { UsageError, type Command, type CommandContext, type FlagSpec } from './command.js';
import { agentCommand } from './commands/agent.js';
import { catalogDatacentersCommand, catalogNodesCommand } from './commands/catalog/nodes.js';
import { membersCommand } from './commands/members.js';
import { versionCommand } from './commands/version.js';
import { catalogServicesCommand } from './commands/catalog/services.js';
import { servicesDeregisterCommand } from './commands/services/deregister.js';
import { servicesRegisterCommand } from './commands/services/register.js';
import { servicesExportCommand } from './commands/services/export.js';
import { configWriteCommand } from './commands/config/write.js';
import { connectGatewayCommand } from './commands/connect/gateway.js';
import { connectProxyCommand } from './commands/connect/proxy.js';
import { connectRedirectTrafficCommand } from './commands/connect/redirect-traffic.js';
import { demoCommand } from './commands/demo.js';
import { ACL_COMMANDS } from './commands/acl/acl.js';
import { peeringEstablishCommand, peeringGenerateTokenCommand } from './commands/peering/token.js';
import {
  peeringDeleteCommand,
  peeringExportedServicesCommand,
  peeringListCommand,
  peeringReadCommand,
} from './commands/peering/read.js';
import { servicesExportedServicesCommand, servicesImportedServicesCommand } from './commands/services/exported-services.js';
import { configDeleteCommand, configListCommand, configReadCommand } from './commands/config/read.js';
import { KV_COMMANDS } from './commands/kv/index.js';
import { k8sControllerCommand } from './commands/k8s/controller.js';
import { k8sConnectInitCommand } from './commands/k8s/connect-init.js';
import { k8sServerAclInitCommand } from './commands/k8s/server-acl-init.js';

export const COMMANDS: readonly Command[] = [
  agentCommand,
  catalogServicesCommand,
  catalogNodesCommand,
  catalogDatacentersCommand,
  membersCommand,
  versionCommand,
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
  servicesImportedServicesCommand,
  connectProxyCommand,
  connectGatewayCommand,
  connectRedirectTrafficCommand,
  demoCommand,
  ...ACL_COMMANDS,
  ...KV_COMMANDS,
  k8sControllerCommand,
  k8sConnectInitCommand,
  k8sServerAclInitCommand,
];

/** Flags every command takes. */
const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  format: { type: 'string', doc: 'Output format: pretty or json.', default: 'pretty' },
  help: { type: 'boolean', short: 'h', doc: 'Show help.' },
};

/** Consul's exit code for an unknown command (mitchellh/cli). */
const EXIT_UNKNOWN_COMMAND = 127;

function flagsOf(c: Command): Record<string, FlagSpec> {
  return { ...GLOBAL_FLAGS, ...(c.local ? {} : HTTP_FLAGS), ...c.flags };
}

function helpText(cmds: readonly Command[]): string {
  const lines = ['Usage: isthmus <command> [flags]', '', 'Commands:'];
  for (const c of cmds) lines.push(`  ${c.path.join(' ').padEnd(30)} ${c.summary}`);
  lines.push('', 'Commands that talk to an agent take Consul\'s HTTP flags: -http-addr, -token, -token-file, -ca-file, -ca-path,');
  lines.push('-client-cert, -client-key, -tls-server-name, -datacenter, -stale, -namespace, -partition (and CONSUL_* variables).');
  return lines.join('\n');
}

function commandHelp(c: Command): string {
  const lines = [`Usage: ${c.usage}`, '', c.summary, '', 'Flags:'];
  for (const [name, f] of Object.entries(flagsOf(c))) lines.push(`  -${name.padEnd(18)} ${f.doc}`);
  return lines.join('\n');
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  /** [node, script] to re-run this CLI (the demo starts its clusters this way). */
  self?: string[];
  /** Reads standard input to the end (`kv put key -`, `config write -`). @default fd 0 */
  stdin?: () => Buffer;
}

/** Runs the CLI; returns the process exit code (0 ok, 1 usage/API/runtime error, 127 unknown command). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const args = argv;
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const cmd = [...COMMANDS].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((p, i) => words[i] === p));
  if (!cmd) {
    const helpAsked = words[0] === 'help' || args.includes('--help') || args.includes('-help') || args.includes('-h');
    if (words.length === 0 || helpAsked) {
      io.out(helpText(COMMANDS));
      return helpAsked ? 0 : EXIT_UNKNOWN_COMMAND;
    }
    const known = COMMANDS.filter((c) => c.path.length > words.length - 1 && words.every((w, i) => c.path[i] === w));
    if (known.length > 0) {
      io.err(helpText(known));
      return EXIT_UNKNOWN_COMMAND;
    }
    io.err(`Error: unknown command "${words.join(' ')}"\n\n${helpText(COMMANDS)}`);
    return EXIT_UNKNOWN_COMMAND;
  }
  const rest = args.slice(cmd.path.length);
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseFlags(rest, flagsOf(cmd));
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    io.err(`${err.message}\n\n${commandHelp(cmd)}`);
    return 1;
  }
  if (parsed.values.help) {
    io.out(commandHelp(cmd));
    return 0;
  }
  const [min, max] = cmd.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const n = parsed.positionals.length;
    io.err(n > max ? `Too many arguments (expected ${max === 0 ? 'none' : `at most ${max}`}, got ${n})` : `Missing arguments (expected ${min === max ? min : `at least ${min}`}, got ${n})`);
    return 1;
  }
  const format = (parsed.values.format as string | undefined) ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    io.err('Invalid format, valid formats are {json|pretty}');
    return 1;
  }
  const ctx: CommandContext = {
    client: () => new IsthmusClient(clientOptions(parsed.values, io.env, (w) => io.err(`[WARN] ${w}`))),
    format,
    out: io.out,
    err: io.err,
    env: io.env,
    self: io.self ?? [],
    stdin: io.stdin ?? (() => readFileSync(0)),
  };
  try {
    const code = await cmd.run({ flags: parsed.values, positionals: parsed.positionals }, ctx);
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(err.message);
      return 1;
    }
    if (err instanceof ClientConfigError) {
      io.err(`Error connecting to Consul agent: ${err.message}`);
      return 1;
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
