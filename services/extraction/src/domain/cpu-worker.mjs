// Worker entry when the service runs from its TypeScript sources (`node --import tsx`, vitest): worker
// threads do not inherit vitest's transform, so this thread registers tsx before loading the tasks.
// Compiled to JavaScript, cpu-pool.ts starts cpu-tasks.js directly and this file is not needed.
import { register } from 'tsx/esm/api';

register();
const { default: runCpuTask } = await import('./cpu-tasks.ts');
export default runCpuTask;
