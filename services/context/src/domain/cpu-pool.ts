// The context service's CPU pool: the shared worker pool (@clinote/shared/cpu-pool.ts) running the
// context tasks (cpu-tasks.ts).
import { CpuPool, taskModuleBeside } from '@clinote/shared/cpu-pool.js';
import type { ContextCpuTasks } from './cpu-tasks.js';

export type ContextCpuPool = CpuPool<ContextCpuTasks>;

/** The context tasks' module, beside this one (TypeScript from the sources, JavaScript once compiled). */
export const CONTEXT_TASKS = taskModuleBeside(import.meta.url, 'cpu-tasks');

export function createContextCpuPool(options: { threads?: number | undefined; maxQueue: number }): ContextCpuPool {
  return new CpuPool<ContextCpuTasks>({ ...options, tasks: CONTEXT_TASKS });
}
