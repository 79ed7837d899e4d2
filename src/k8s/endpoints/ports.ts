// Ports given as a number or as the name of one of the pod's container ports (consul-k8s's PortValue). Pure.
import type { ContainerPort, PodObj } from './types.js';

const containerPorts = (pod: PodObj | undefined): ContainerPort[] => (pod?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);

/** The pod's named container ports, name → number. */
export function namedPorts(pod: PodObj | undefined): Record<string, number> {
  return Object.fromEntries(containerPorts(pod).flatMap((p) => (p.name ? [[p.name, p.containerPort]] : [])));
}

/** A number, or a named container port; 0 when it resolves to nothing (or past 65535). */
export function portValue(pod: PodObj | undefined, value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) <= 65535 ? Number(v) : 0;
  return containerPorts(pod).find((p) => p.name === v)?.containerPort ?? 0;
}
