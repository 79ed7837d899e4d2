// A stand-in for the kubelet, for tests (there is none here): runs a stored pod's containers as real
// processes. What it simulates, and how:
// - the pod's network namespace: a real one (`ip netns`, see src/proxy/tproxy/netns.ts), the pod IP is its address;
// - the image: every container runs this checkout's `isthmus` binary (`command: [isthmus]` → node bin/isthmus.js);
// - volume mounts: each mountPath maps to a host directory, and args/env mentioning the path are rewritten;
// - the downward API (metadata.name/namespace, spec.nodeName, status.podIP/hostIP) and `$(VAR)` expansion of
//   env values and args, as the kubelet does;
// - securityContext.runAsUser: the process runs as that uid (setpriv), root when 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/agent-process.js';
import type { Netns } from '../support/netns.js';

type Obj = Record<string, unknown>;
export interface PodContainer {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: { runAsUser?: number };
}
export interface StoredPod {
  metadata: { name: string; namespace: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: PodContainer[]; initContainers?: PodContainer[]; volumes?: Obj[]; serviceAccountName?: string };
}

/** `$(VAR)` → the value when defined, `$$` → `$`, anything else left as written (kubelet's expansion). */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && name in vars ? (vars[name] as string) : m));
}

export interface RunningContainer {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export class Kubelet {
  readonly #live = new Set<ChildProcess>();

  constructor(
    readonly o: {
      nodeName: string;
      hostIp: string;
      netns: Netns;
      /** Host directory under which each pod's volumes live. */
      volumesDir: string;
      /** Extra host files mounted into every container (e.g. the service-account token path → a file). */
      files?: Record<string, string>;
    },
  ) {}

  /** Host path of a pod's volume. */
  volumePath(pod: StoredPod, volume: string): string {
    return join(this.o.volumesDir, pod.metadata.namespace, pod.metadata.name, volume);
  }

  /** The env and argv the kubelet would give a container (paths mapped to this host). */
  resolve(pod: StoredPod, c: PodContainer): { env: Record<string, string>; argv: string[] } {
    const field = (path: string): string => {
      const values: Record<string, string> = {
        'metadata.name': pod.metadata.name,
        'metadata.namespace': pod.metadata.namespace,
        'spec.nodeName': this.o.nodeName,
        'spec.serviceAccountName': pod.spec.serviceAccountName ?? 'default',
        'status.podIP': this.o.netns.nsIp,
        'status.hostIP': this.o.hostIp,
      };
      if (!(path in values)) throw new Error(`the kubelet stand-in has no downward-API field ${path}`);
      return values[path] as string;
    };
    const mounts: [string, string][] = (c.volumeMounts ?? []).map((m) => {
      const host = this.volumePath(pod, m.name);
      mkdirSync(host, { recursive: true });
      // emptyDir volumes are world-writable (0777) as the kubelet creates them, whatever uid the container runs as.
      chmodSync(host, 0o777);
      return [m.mountPath, host];
    });
    for (const [inPod, host] of Object.entries(this.o.files ?? {})) mounts.push([inPod, host]);
    const mapPaths = (s: string): string => mounts.reduce((acc, [from, to]) => acc.split(from).join(to), s);
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      const v = e.valueFrom?.fieldRef ? field(e.valueFrom.fieldRef.fieldPath) : expand(e.value ?? '', env);
      env[e.name] = mapPaths(v);
    }
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => mapPaths(expand(a, env)));
    return { env, argv };
  }

  /** Starts one container inside the pod's network namespace, as its runAsUser. */
  start(pod: StoredPod, c: PodContainer): RunningContainer {
    const { env, argv } = this.resolve(pod, c);
    if (argv[0] !== 'isthmus') throw new Error(`the kubelet stand-in runs only the isthmus image, not ${argv[0]}`);
    const uid = c.securityContext?.runAsUser;
    const prefix = this.o.netns.prefix(uid === undefined || uid === 0 ? undefined : uid);
    const [cmd, ...pre] = [...prefix, process.execPath];
    // Only the container's env (plus PATH for the wrappers), as in a container.
    const proc = spawn(cmd as string, [...pre, BIN, ...argv.slice(1)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    this.#live.add(proc);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    void exited.then(() => this.#live.delete(proc));
    return {
      proc,
      output: () => out,
      exited,
      stop: async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      },
    };
  }

  /** Runs an init container to completion (bounded). */
  async runToCompletion(pod: StoredPod, c: PodContainer, timeoutMs: number): Promise<{ code: number | null; output: string }> {
    const r = this.start(pod, c);
    const timer = setTimeout(() => r.proc.kill('SIGKILL'), timeoutMs);
    const code = await r.exited;
    clearTimeout(timer);
    return { code, output: r.output() };
  }

  async stopAll(): Promise<void> {
    for (const p of this.#live) p.kill('SIGKILL');
    this.#live.clear();
  }
}
