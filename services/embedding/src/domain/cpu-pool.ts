// The embedding service's CPU pool: the shared worker pool (@clinote/shared/cpu-pool.ts) running the
// embedding tasks (cpu-tasks.ts).
import { CpuPool, taskModuleBeside } from '@clinote/shared/cpu-pool.js';
import type { EmbeddingCpuTasks } from './cpu-tasks.js';

export type EmbeddingCpuPool = CpuPool<EmbeddingCpuTasks>;

/** The embedding tasks' module, beside this one (TypeScript from the sources, JavaScript once compiled). */
export const EMBEDDING_TASKS = taskModuleBeside(import.meta.url, 'cpu-tasks');

export function createEmbeddingCpuPool(options: { threads?: number | undefined; maxQueue: number }): EmbeddingCpuPool {
  return new CpuPool<EmbeddingCpuTasks>({ ...options, tasks: EMBEDDING_TASKS });
}
