// The agent's own registrations: services and checks on the agent's node, kept in the catalog.
import { IsthmusError, notFound } from '../../lib/errors.js';
import { CONSUL_VERSION } from '../../version.js';
import type { CatalogService } from '../catalog/service.js';
import type { CheckRecord, CheckStatus, Indexed, ServiceRecord } from '../catalog/types.js';
import { normalizeService } from '../catalog/validate.js';
import { buildCheck, buildServiceCheck, validateAgentCheck, type AgentCheckInput, type CheckLimits } from '../health-checks/definition.js';
import type { CheckRunner } from '../health-checks/runner.js';
import type { AgentServiceInput } from './schema.js';
import { validateAgentService } from './validate.js';
import { normalizeProxy, sidecarFor } from './sidecar.js';
import { isConsulService } from '../servers/consul-service.js';

export interface AgentIdentity {
  nodeName: string;
  nodeId: string;
  datacenter: string;
  /** The address other members reach this agent at. */
  address: string;
}

export interface AgentLocalDeps {
  catalog: CatalogService;
  /** Set after construction: the runner needs this service to reap, and this one needs the runner. */
  runner?: CheckRunner;
}

function unknownService(id: string): IsthmusError {
  return notFound(`Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
}

function unknownCheck(id: string): IsthmusError {
  return notFound(`Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
}

export class AgentLocalService {
  readonly #catalog: CatalogService;
  readonly #identity: AgentIdentity;
  readonly #limits: CheckLimits;
  runner: CheckRunner | undefined;

  constructor(deps: AgentLocalDeps, identity: AgentIdentity, limits: CheckLimits = {}) {
    this.#catalog = deps.catalog;
    this.runner = deps.runner;
    this.#identity = identity;
    this.#limits = limits;
  }

  get identity(): AgentIdentity {
    return this.#identity;
  }

  #reconcile(): void {
    this.runner?.reconcile();
  }

  /** Registers (or refreshes) the agent's own node with its always-passing serf check. */
  async registerSelf(): Promise<void> {
    const { nodeName, nodeId, datacenter, address } = this.#identity;
    const existing = this.#catalog.reader.node('', nodeName)?.value;
    await this.#catalog.register({
      nodeName,
      node: {
        ID: nodeId,
        Node: nodeName,
        Address: address,
        Datacenter: datacenter,
        TaggedAddresses: { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
        Meta: { ...existing?.Meta, 'consul-network-segment': '', 'consul-version': CONSUL_VERSION },
        PeerName: '',
      },
      checks: [
        {
          Node: nodeName,
          CheckID: 'serfHealth',
          Name: 'Serf Health Status',
          Status: 'passing',
          Notes: '',
          Output: 'Agent alive and reachable',
          ServiceID: '',
          ServiceName: '',
          ServiceTags: [],
          Type: '',
          ExposedPort: 0,
          Definition: {},
          PeerName: '',
        },
      ],
    });
  }

  /** Registers a service, and the sidecar its `Connect.SidecarService` block describes. */
  async registerService(input: AgentServiceInput, options: { replaceExistingChecks?: boolean } = {}): Promise<void> {
    validateAgentService(input);
    if (input.Connect?.SidecarService !== undefined) {
      const used = new Map(this.services().filter((s) => s.value.Kind === 'connect-proxy').map((s) => [s.value.ID, s.value.Port] as [string, number]));
      const sidecar = sidecarFor(input, { usedPorts: used });
      try {
        validateAgentService(sidecar);
      } catch (err) {
        throw new IsthmusError('INVALID_ARGUMENT', `Invalid SidecarService: ${(err as Error).message}`, { cause: err });
      }
      const { SidecarService: _drop, ...connect } = input.Connect;
      await this.#registerOne({ ...input, Connect: connect }, options);
      await this.#registerOne(sidecar, options);
      return;
    }
    await this.#registerOne(input, options);
  }

  async #registerOne(input: AgentServiceInput, options: { replaceExistingChecks?: boolean }): Promise<void> {
    const node = this.#identity.nodeName;
    const service: ServiceRecord = normalizeService(input as Record<string, unknown>, node);
    service.Service = input.Name as string;
    service.ID = input.ID || service.Service;
    if (input.Proxy) service.Proxy = normalizeProxy(input.Proxy) as Record<string, unknown>;
    if (input.Connect && Object.keys(input.Connect).length === 0) delete service.Connect;
    const inputs: AgentCheckInput[] = [...(input.Check ? [input.Check] : []), ...(input.Checks ?? [])];
    const reader = this.#catalog.reader;
    const checks = inputs.map((c, i) => {
      const id = c.CheckID || c.ID || (inputs.length === 1 ? `service:${service.ID}` : `service:${service.ID}:${i + 1}`);
      const existing = reader.check('', node, id)?.value;
      return buildServiceCheck(c, {
        node,
        serviceId: service.ID,
        serviceName: service.Service,
        serviceTags: service.Tags,
        position: i + 1,
        count: inputs.length,
        limits: this.#limits,
        ...(existing && existing.ServiceID === service.ID ? { existing } : {}),
      });
    });
    await this.#catalog.register({ nodeName: node, service, checks }, { replaceServiceChecks: options.replaceExistingChecks === true });
    this.#reconcile();
  }

  /** Removes a service, and the sidecar registered for it. */
  async deregisterService(id: string): Promise<void> {
    const node = this.#identity.nodeName;
    const own = this.#catalog.reader.service('', node, id);
    if (!own || isConsulService(own.value)) throw unknownService(id);
    await this.#catalog.deregister({ node, serviceId: id });
    const sidecar = this.#catalog.reader.service('', node, `${id}-sidecar-proxy`)?.value;
    if (sidecar && (sidecar.Proxy as { DestinationServiceID?: string } | undefined)?.DestinationServiceID === id) {
      await this.#catalog.deregister({ node, serviceId: sidecar.ID });
    }
    this.#reconcile();
  }

  async registerCheck(input: AgentCheckInput): Promise<void> {
    if (!input.Name) throw new IsthmusError('INVALID_ARGUMENT', 'Missing check name');
    validateAgentCheck(input);
    const node = this.#identity.nodeName;
    let svc: ServiceRecord | undefined;
    if (input.ServiceID) {
      svc = this.#catalog.reader.service('', node, input.ServiceID)?.value;
      if (!svc) throw notFound(`ServiceID "${input.ServiceID}" does not exist`);
    }
    const id = input.CheckID || input.ID || input.Name;
    const existing = this.#catalog.reader.check('', node, id)?.value;
    const check = buildCheck(input, {
      node,
      id,
      name: input.Name,
      serviceId: svc?.ID ?? '',
      serviceName: svc?.Service ?? '',
      serviceTags: svc?.Tags ?? [],
      limits: this.#limits,
      ...(existing ? { existing } : {}),
    });
    await this.#catalog.register({ nodeName: node, checks: [check] });
    this.#reconcile();
  }

  async deregisterCheck(id: string): Promise<void> {
    if (!this.#catalog.reader.check('', this.#identity.nodeName, id)) throw unknownCheck(id);
    await this.#catalog.deregister({ node: this.#identity.nodeName, checkId: id });
    this.#reconcile();
  }

  /** pass/warn/fail/update on a TTL check. */
  async updateTtl(id: string, status: CheckStatus, output: string): Promise<void> {
    const check = this.#catalog.reader.check('', this.#identity.nodeName, id)?.value;
    if (!check) throw unknownCheck(id);
    if (!check.Definition.TTL) {
      throw new IsthmusError('FAILED_PRECONDITION', `CheckID "${id}" does not have associated TTL`, { httpStatus: 500 });
    }
    if (!this.runner) throw new IsthmusError('UNAVAILABLE', 'the health checker is not running');
    await this.runner.ttlUpdate(id, status, output);
  }

  /**
   * Maintenance mode (Consul): a critical `_service_maintenance:<id>` check (or `_node_maintenance`
   * for the whole node) takes the instance out of healthy results until disabled.
   */
  async setMaintenance(serviceId: string | undefined, enable: boolean, reason: string): Promise<void> {
    const node = this.#identity.nodeName;
    let svc: ServiceRecord | undefined;
    if (serviceId !== undefined) {
      svc = this.#catalog.reader.service('', node, serviceId)?.value;
      if (!svc) throw notFound(`No service registered with ID "${serviceId}"`);
    }
    const checkId = svc ? `_service_maintenance:${svc.ID}` : '_node_maintenance';
    if (!enable) {
      if (this.#catalog.reader.check('', node, checkId)) await this.#catalog.deregister({ node, checkId });
      return;
    }
    await this.#catalog.register({
      nodeName: node,
      checks: [
        {
          Node: node,
          CheckID: checkId,
          Name: svc ? 'Service Maintenance Mode' : 'Node Maintenance Mode',
          Status: 'critical',
          Notes: reason || (svc ? 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.' : 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.'),
          Output: '',
          ServiceID: svc?.ID ?? '',
          ServiceName: svc?.Service ?? '',
          ServiceTags: svc?.Tags ?? [],
          Type: 'maintenance',
          ExposedPort: 0,
          Definition: {},
          PeerName: '',
        },
      ],
    });
  }

  /** The agent's services; the servers' `consul` registration is catalog-only, as in Consul. */
  services(): Indexed<ServiceRecord>[] {
    return this.#catalog.reader.servicesOfNode('', this.#identity.nodeName).filter((s) => !isConsulService(s.value));
  }

  service(id: string): Indexed<ServiceRecord> | undefined {
    const s = this.#catalog.reader.service('', this.#identity.nodeName, id);
    return s && !isConsulService(s.value) ? s : undefined;
  }

  checks(): Indexed<CheckRecord>[] {
    return this.#catalog.reader.checksOfNode('', this.#identity.nodeName);
  }
}
