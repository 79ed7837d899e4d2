// Small HTTP helpers the peering end-to-end tests share: raw calls and peering-state probes for waitFor.
import type { AgentProcess } from './agent-process.js';

export type Obj = Record<string, unknown>;

export async function call(a: AgentProcess, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: () => unknown }> {
  const r = await fetch(a.httpAddr + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) as unknown };
}

/** The peering `name` as the agent reads it, or undefined on a 404. */
export async function peering(a: AgentProcess, name: string): Promise<Obj | undefined> {
  const r = await call(a, 'GET', `/v1/peering/${name}`);
  return r.status === 200 ? (r.json() as Obj) : undefined;
}

/** A waitFor probe: true once the peering is in `state`. */
export const stateIs = (a: AgentProcess, name: string, state: string) => async (): Promise<true | undefined> => ((await peering(a, name))?.State === state ? true : undefined);
