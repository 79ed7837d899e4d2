// Runs the store conformance suite against the in-memory backend.
import { runStoreConformance } from '../conformance.js';
import { MemoryStore } from './memory-store.js';

runStoreConformance({ name: 'memory', newStore: (o) => new MemoryStore(o) });
