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
}

export interface Command {
  /** Words after `isthmus`, e.g. ['catalog', 'services']. */
  path: string[];
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  /** Positional arguments accepted: [min, max]. */
  positionals?: [number, number];
  run(args: { flags: Record<string, string | boolean | string[] | undefined>; positionals: string[] }, ctx: CommandContext): Promise<number | void>;
}

/** A mistake in how the command was invoked: printed with usage, exit code 2. */
export class UsageError extends Error {}
