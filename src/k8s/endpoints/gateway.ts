// Mesh-gateway pods (kubernetes.md §2.7, §6.2): the one registration a gateway pod gets, with its LAN address
// (pod IP) and its WAN address from the `gateway-wan-address-source` annotation. Pure.
import { ANNOTATION, type PodObj, type ServiceAddress, type ServiceObj } from './types.js';

export const WAN_SOURCES = ['Service', 'NodeIP', 'NodeName', 'Static'] as const;

/** The WAN address of a gateway pod; throws with consul-k8s's text when it cannot be known yet (retried). */
export function wanAddress(pod: PodObj, service: ServiceObj | undefined, serviceName: string, namespace: string): ServiceAddress {
  const a = pod.metadata.annotations ?? {};
  const source = a[ANNOTATION.gatewayWanAddressSource] ?? 'Service';
  const portText = a[ANNOTATION.gatewayWanPort] ?? '';
  const port = /^\d+$/.test(portText.trim()) ? Number(portText.trim()) : NaN;
  if (!(port > 0 && port < 65536)) throw new Error(`invalid ${ANNOTATION.gatewayWanPort} annotation ${JSON.stringify(portText)} on pod ${namespace}/${pod.metadata.name}: must be a port number`);
  const hostIP = pod.status?.hostIP ?? '';
  switch (source) {
    case 'NodeName': {
      const node = pod.spec?.nodeName ?? '';
      if (!node) throw new Error(`pod ${namespace}/${pod.metadata.name} is not scheduled to a node yet (gateway-wan-address-source NodeName)`);
      return { Address: node, Port: port };
    }
    case 'NodeIP':
      return { Address: hostIP, Port: port };
    case 'Static': {
      const addr = (a[ANNOTATION.gatewayWanAddressStatic] ?? '').trim();
      if (!addr) throw new Error(`gateway-wan-address-source is Static but ${ANNOTATION.gatewayWanAddressStatic} is empty on pod ${namespace}/${pod.metadata.name}`);
      return { Address: addr, Port: port };
    }
    case 'Service': {
      if (!service) throw new Error(`failed to read service ${serviceName} in namespace ${namespace}`);
      const type = service.spec?.type ?? 'ClusterIP';
      if (type === 'NodePort') return { Address: hostIP, Port: port };
      if (type === 'ClusterIP') return { Address: service.spec?.clusterIP ?? '', Port: port };
      if (type === 'LoadBalancer') {
        const ingress = service.status?.loadBalancer?.ingress ?? [];
        // The first ingress entry that has an IP, else a hostname.
        const first = ingress.find((i) => i.ip || i.hostname);
        const addr = first?.ip || first?.hostname;
        if (!addr) throw new Error(`failed to read ingress config for loadbalancer for service ${serviceName} in namespace ${namespace}`);
        return { Address: addr, Port: port };
      }
      throw new Error(`service ${serviceName} in namespace ${namespace} has type ${type}: a mesh gateway's WAN address needs NodePort, ClusterIP or LoadBalancer`);
    }
    default:
      throw new Error(`invalid ${ANNOTATION.gatewayWanAddressSource} annotation ${JSON.stringify(source)} on pod ${namespace}/${pod.metadata.name}: must be one of ${WAN_SOURCES.join(', ')}`);
  }
}
