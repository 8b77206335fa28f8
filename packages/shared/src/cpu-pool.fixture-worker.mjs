// A task module for cpu-pool.test.ts only: a task that keeps its thread busy for a while, with no await
// for an abort to slip into, and one that answers at once.
import { threadId } from 'node:worker_threads';

export default function run({ kind, input }) {
  if (kind === 'spin') {
    const until = Date.now() + input.ms;
    while (Date.now() < until);
  }
  return threadId;
}
