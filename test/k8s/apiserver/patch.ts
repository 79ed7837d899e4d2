// JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge patch treated as a merge patch
// (the double keeps no patch-merge keys, so lists are replaced; `$patch`-style directives are dropped).
import { ApiStatusError } from './types.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new ApiStatusError(422, 'Invalid', `invalid JSON pointer "${p}"`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiStatusError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  let root = clone(doc);
  const fail = (msg: string): never => {
    throw new ApiStatusError(422, 'Invalid', msg);
  };
  const parentOf = (path: string[]): [unknown, string] => {
    let cur: unknown = root;
    for (const k of path.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(k)] : isObj(cur) ? cur[k] : undefined;
      if (cur === undefined) fail(`doc is missing path: "/${path.join('/')}": missing value`);
    }
    return [cur, path[path.length - 1] as string];
  };
  const get = (path: string[]): unknown => {
    let cur: unknown = root;
    for (const k of path) cur = Array.isArray(cur) ? cur[Number(k)] : isObj(cur) ? cur[k] : undefined;
    return cur;
  };
  const add = (path: string[], value: unknown): void => {
    if (path.length === 0) {
      root = value;
      return;
    }
    const [parent, key] = parentOf(path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) fail(`add operation does not apply: doc is missing path: "/${path.join('/')}"`);
      parent.splice(i, 0, value);
    } else if (isObj(parent)) parent[key] = value;
    else fail(`doc is missing path: "/${path.join('/')}"`);
  };
  const remove = (path: string[]): void => {
    const [parent, key] = parentOf(path);
    if (Array.isArray(parent) && Number(key) < parent.length) parent.splice(Number(key), 1);
    else if (isObj(parent) && key in parent) delete parent[key];
    else fail(`remove operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
  };
  for (const op of ops as { op: string; path: string; from?: string; value?: unknown }[]) {
    const path = decodePointer(op.path);
    switch (op.op) {
      case 'add':
        add(path, clone(op.value));
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        if (get(path) === undefined) fail(`replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`);
        remove(path);
        add(path, clone(op.value));
        break;
      case 'move': {
        const from = decodePointer(op.from ?? '');
        const v = get(from);
        remove(from);
        add(path, v);
        break;
      }
      case 'copy':
        add(path, clone(get(decodePointer(op.from ?? ''))));
        break;
      case 'test':
        if (JSON.stringify(get(path)) !== JSON.stringify(op.value)) fail(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        fail(`Unexpected kind: ${op.op}`);
    }
  }
  return root;
}
