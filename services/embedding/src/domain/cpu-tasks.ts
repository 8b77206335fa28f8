// The CPU-heavy work the embedding service runs in its worker pool (cpu-pool.ts): the offline embedder
// on long texts. A pure function of its input (the embedder's word memo never changes a result), so a
// pooled vector equals the inline one. This module is the pool's task module: compiled, the worker
// entry itself; from the sources the shared tsx shim loads it.
import type { TaskMessage } from '@clinote/shared/cpu-pool.js';
import { OfflineEmbedder } from './offline-embedder.js';

export interface OfflineEmbeddingInput {
  dimensions: number;
  texts: string[];
}

/** Each task kind with what it takes and what it returns. */
export interface EmbeddingCpuTasks {
  /** One batch of texts through the offline embedder. */
  offline_embedding: { input: OfflineEmbeddingInput; output: Float32Array[] };
}

// One embedder per vector size in each worker, so its word memo stays warm across tasks.
const embedders = new Map<number, OfflineEmbedder>();

export function offlineEmbeddings({ dimensions, texts }: OfflineEmbeddingInput): Float32Array[] {
  let embedder = embedders.get(dimensions);
  if (!embedder) embedders.set(dimensions, (embedder = new OfflineEmbedder({ dimensions })));
  return texts.map((text) => embedder.embedOne(text));
}

/** Runs one task. No bounds here: the pool abandons a task past its deadline by ending its worker. */
export default function runEmbeddingCpuTask(task: TaskMessage<EmbeddingCpuTasks>): EmbeddingCpuTasks[keyof EmbeddingCpuTasks]['output'] {
  switch (task.kind) {
    case 'offline_embedding':
      return offlineEmbeddings(task.input);
  }
}
