// Network namespaces for transparent-proxy tests (the helper lives with the tproxy code; the demo uses it too).
export { createNetns, netnsUnavailable, type Netns } from '../../src/proxy/tproxy/netns.js';
