// What a CLI command is: a declarative definition, and the context it runs with.
import type { IsthmusClient } from '../sdk/client.js';

export type FlagSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string; doc: string; default?: string | boolean };

export interface CommandContext {
  /** Builds the API client from the global flags / env (lazily: `agent` needs none). */
  client(): IsthmusClient;
  format: 'pretty' | 'json';
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  /** How to start this CLI again as a child process: [node, script]. */
  self: string[];
  /** Standard input, read to the end. */
  stdin: () => Buffer;
}

export interface Command {
  /** Words after `isthmus`, e.g. ['catalog', 'services']. */
  path: string[];
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  /** True for commands that never contact an agent (no HTTP flags). */
  local?: true;
  /** Positional arguments accepted: [min, max]. */
  positionals?: [number, number];
  run(args: { flags: Record<string, string | boolean | string[] | undefined>; positionals: string[] }, ctx: CommandContext): Promise<number | void>;
}

/** A mistake in how the command was invoked: its message is printed on stderr, exit code 1 (as Consul). */
export class UsageError extends Error {}
