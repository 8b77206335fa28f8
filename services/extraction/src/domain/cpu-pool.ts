// The extraction service's CPU pool: the shared worker pool (@clinote/shared/cpu-pool.ts) running the
// extraction tasks (cpu-tasks.ts).
import { CpuPool, taskModuleBeside } from '@clinote/shared/cpu-pool.js';
import type { ExtractionCpuTasks } from './cpu-tasks.js';

export type ExtractionCpuPool = CpuPool<ExtractionCpuTasks>;

/** The extraction tasks' module, beside this one (TypeScript from the sources, JavaScript once compiled). */
export const EXTRACTION_TASKS = taskModuleBeside(import.meta.url, 'cpu-tasks');

export function createExtractionCpuPool(options: { threads?: number | undefined; maxQueue: number }): ExtractionCpuPool {
  return new CpuPool<ExtractionCpuTasks>({ ...options, tasks: EXTRACTION_TASKS });
}
