// A TypeScript task module for cpu-pool.test.ts only: loaded through the tsx shim, with a `.js`
// specifier resolving to a `.ts` source as everywhere in the repo.
import { threadId } from 'node:worker_threads';
import { rougeScores, type RougeF1 } from './rouge.js';
import type { TaskMessage } from './cpu-pool.js';

export interface FixtureTypeScriptTasks {
  rouge: { input: { pred: string; ref: string }; output: { scores: RougeF1; threadId: number } };
}

export default function runFixtureTask({ input }: TaskMessage<FixtureTypeScriptTasks>): FixtureTypeScriptTasks['rouge']['output'] {
  return { scores: rougeScores(input.pred, input.ref), threadId };
}
