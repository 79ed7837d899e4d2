// The double's wire helpers: JSON responses, Status errors, request bodies, and the kubeconfig that points
// kubectl and client-node at it.
import type http from 'node:http';
import { ApiStatusError } from './types.js';

export function sendJson(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  const e = err instanceof ApiStatusError ? err : new ApiStatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, e.code, e.toStatus());
}

export async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiStatusError(400, 'BadRequest', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: ${(err as Error).message}`);
  }
}

/** A kubeconfig for the double at `url` (with its CA when it serves HTTPS). */
export function kubeconfigYaml(url: string, namespace: string, ca: string | undefined): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: double`,
    '  cluster:',
    `    server: ${url}`,
    ...(ca ? [`    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`] : []),
    'contexts:',
    '- name: double',
    '  context:',
    '    cluster: double',
    '    user: admin',
    `    namespace: ${namespace}`,
    'current-context: double',
    'users:',
    '- name: admin',
    '  user:',
    '    token: double-admin-token',
    '',
  ].join('\n');
}
