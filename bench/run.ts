// `npm run bench`: every benchmark, each printed next to a baseline measured in the same run.
// Usage: node dist/bench/run.js [store|health|wakeup|leaf|intentions|peering|dataplane|dns|ui|register|l7|tproxy|ha|kv|import-memory|k8s-endpoints|webhook ...]  (default: all)
import { startAgent, tempDir } from '../test/support/agent-process.js';
import { benchWakeup } from './blocking-wakeup.js';
import { benchHealthLoad } from './health-load.js';
import { benchStoreWrites } from './store-writes.js';
import { benchLeaf } from './ca-leaf.js';
import { benchIntentions } from './intention-check.js';
import { benchPeering } from './peering.js';
import { benchDataplane } from './dataplane.js';
import { benchDns } from './dns.js';
import { benchUiAssets } from './ui-assets.js';
import { benchRegister } from './register-load.js';
import { benchImportMemory } from './import-memory.js';
import { benchL7Http, benchTransparent } from './l7.js';
import { benchHa } from './ha.js';
import { benchKv } from './kv.js';
import { benchK8sEndpoints } from './k8s-endpoints.js';
import { benchWebhook } from './webhook.js';

const selected = process.argv.slice(2);
const want = (name: string): boolean => selected.length === 0 || selected.includes(name);
const quick = process.env.BENCH_QUICK === '1';

const tmp = tempDir('bench');
const results: Record<string, number> = {};
try {
  console.log(`# isthmus benchmarks (node ${process.version}, ${quick ? 'quick' : 'full'} mode)`);
  if (want('store')) Object.assign(results, await benchStoreWrites(tmp.path, quick ? 500 : 3000));
  if (want('leaf')) Object.assign(results, await benchLeaf(quick ? 100 : 1000));
  if (want('ui')) {
    const agent = await startAgent(['--dev', '--node', 'bench-ui', '--log-level', 'warn']);
    try {
      Object.assign(results, await benchUiAssets(agent, tmp.path, { seconds: quick ? 2 : 5, connections: 16 }));
    } finally {
      await agent.stop();
    }
  }
  if (want('health') || want('wakeup') || want('intentions') || want('dns')) {
    const agent = await startAgent(['--dev', '--node', 'bench', '--log-level', 'warn']);
    try {
      if (want('health')) Object.assign(results, await benchHealthLoad(agent, tmp.path, { seconds: quick ? 2 : 8, connections: 32 }));
      if (want('wakeup')) Object.assign(results, await benchWakeup(agent, tmp.path, quick ? 1000 : 10_000));
      if (want('intentions')) Object.assign(results, await benchIntentions(agent, tmp.path, { seconds: quick ? 2 : 5 }));
      if (want('dns')) Object.assign(results, await benchDns(agent, tmp.path, { seconds: quick ? 2 : 5 }));
    } finally {
      await agent.stop();
    }
  }
  if (want('peering')) Object.assign(results, await benchPeering(quick ? { services: 200, perService: 10, changes: 40 } : { services: 5000, perService: 10, changes: 200 }));
  if (want('import-memory')) Object.assign(results, await benchImportMemory(tmp.path, quick ? { services: 500, perService: 10 } : { services: 5000, perService: 10 }));
  if (want('register')) Object.assign(results, await benchRegister(tmp.path, { seconds: quick ? 3 : 10, connections: 16 }));
  if (want('dataplane')) Object.assign(results, await benchDataplane(tmp.path, quick));
  if (want('l7')) Object.assign(results, await benchL7Http(quick));
  if (want('tproxy')) Object.assign(results, await benchTransparent(quick));
  if (want('ha')) Object.assign(results, await benchHa(tmp.path, quick));
  if (want('kv')) {
    const agent = await startAgent(['--dev', '--node', 'bench-kv', '--log-level', 'warn']);
    try {
      Object.assign(results, await benchKv(agent, tmp.path, { seconds: quick ? 2 : 5, connections: 32 }));
    } finally {
      await agent.stop();
    }
  }
  if (want('k8s-endpoints')) Object.assign(results, await benchK8sEndpoints({ pods: quick ? 50 : 300 }));
  if (want('webhook')) Object.assign(results, await benchWebhook(tmp.path, { seconds: quick ? 2 : 5, connections: 16 }));
  console.log(`\nJSON ${JSON.stringify(results)}`);
} finally {
  tmp.remove();
}
