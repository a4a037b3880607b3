// Node 20 cannot run a .ts file in a worker_threads Worker by itself: load it through tsx.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
await tsImport(workerData.module, import.meta.url);
