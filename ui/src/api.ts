// The UI's only door to the agent: fetch with the session's token; errors carry the API's own text.
import { agentNow } from './peer-history';
import { getToken } from './session';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface ApiResponse<T> {
  data: T;
  /** X-Consul-Index, when the endpoint sends one. */
  index: string | null;
  /** The agent's clock at the time of the response (Date header), in ms; falls back to ours. */
  serverNow: number;
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers['X-Consul-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signal ?? null, cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `Cannot reach the agent: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, text.trim() || `${res.status} ${res.statusText}`);
  let data: unknown = null;
  if (text.trim() !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  const date = Date.parse(res.headers.get('Date') ?? '');
  return { data: data as T, index: res.headers.get('X-Consul-Index'), serverNow: Number.isNaN(date) ? Date.now() : agentNow(date) };
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<ApiResponse<T>> => request<T>('GET', path, undefined, signal);

/** A message to show for anything thrown by the API layer (the API's text when there is one). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.status ? `${err.message} (HTTP ${err.status})` : err.message;
  return err instanceof Error ? err.message : String(err);
}

export const enc = encodeURIComponent;
