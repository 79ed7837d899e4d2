// The release version reported by /v1/agent/self and `isthmus version`.
export const VERSION = '0.1.0';
/** The Consul release whose APIs Isthmus follows: reported where Consul reports its own version. */
export const CONSUL_VERSION = '1.22.0';
