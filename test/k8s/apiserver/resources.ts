// The resources the double serves: a few built-in kinds plus whatever CustomResourceDefinitions register.
import { ApiStatusError, type Json, type PrinterColumn, type ResourceType } from './types.js';

const builtin = (group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType => ({
  group,
  version,
  kind,
  plural,
  singular: kind.toLowerCase(),
  listKind: `${kind}List`,
  namespaced,
  shortNames: [],
  status: false,
  ...extra,
});

export const BUILTINS: ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], status: true }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  builtin('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], status: true }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  builtin('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], status: true }),
  builtin('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  builtin('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], status: true }),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], status: true }),
  builtin('apps', 'v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], status: true }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, { shortNames: ['crd', 'crds'], status: true }),
  builtin('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  builtin('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
];

export class Registry {
  readonly #types: ResourceType[] = [...BUILTINS];

  all(): readonly ResourceType[] {
    return this.#types;
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.#types.find((t) => (t.group ? `${t.group}/${t.version}` : t.version) === apiVersion && t.kind === kind);
  }

  /** Registers (or re-registers) the served versions of a CRD; returns the types it defines. */
  registerCrd(crd: Json): ResourceType[] {
    const name = (crd.metadata as Json).name as string;
    const spec = crd.spec as { group: string; scope: string; names: { kind: string; plural: string; singular?: string; shortNames?: string[]; listKind?: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Json }; subresources?: { status?: unknown }; additionalPrinterColumns?: PrinterColumn[] }[] };
    if (!spec?.group || !spec.names?.plural || !spec.names.kind || !Array.isArray(spec.versions) || spec.versions.length === 0) {
      throw new ApiStatusError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: spec: Required value`);
    }
    if (name !== `${spec.names.plural}.${spec.group}`) {
      throw new ApiStatusError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: metadata.name: Invalid value: "${name}": must be spec.names.plural+"."+spec.group`, {
        name,
        group: 'apiextensions.k8s.io',
        kind: 'CustomResourceDefinition',
        causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`, field: 'metadata.name' }],
      });
    }
    this.unregisterCrd(name);
    const added = spec.versions
      .filter((v) => v.served)
      .map((v) => ({
        group: spec.group,
        version: v.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        listKind: spec.names.listKind ?? `${spec.names.kind}List`,
        namespaced: spec.scope === 'Namespaced',
        shortNames: spec.names.shortNames ?? [],
        status: v.subresources?.status !== undefined,
        ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
        ...(v.additionalPrinterColumns ? { printerColumns: v.additionalPrinterColumns } : {}),
        crd: name,
      }));
    this.#types.push(...added);
    return added;
  }

  unregisterCrd(name: string): void {
    for (let i = this.#types.length - 1; i >= 0; i--) if (this.#types[i]?.crd === name) this.#types.splice(i, 1);
  }

  groupVersions(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const t of this.#types) {
      if (t.group === '') continue;
      const vs = out.get(t.group) ?? [];
      if (!vs.includes(t.version)) vs.push(t.version);
      out.set(t.group, vs);
    }
    return [...out].map(([group, versions]) => ({ group, versions }));
  }
}
