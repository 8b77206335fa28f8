// Worker entry for a TypeScript task module (cpu-pool.ts passes its URL as workerData): worker threads
// do not inherit vitest's transform, so this thread registers tsx before loading the tasks. A compiled
// (.js) task module is the worker entry itself and this file is not used.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { default: runTask } = await import(workerData.taskModule);
export default runTask;
