import { consecutiveBatches } from '@clinote/shared/cpu-pool.js';
import { throwIfAborted } from '@clinote/shared/errors.js';
import type { EmbeddingCpuPool } from './cpu-pool.js';
import type { CallBounds, Embedder } from './embedder.js';
import { OfflineEmbedder, type OfflineEmbedderOptions } from './offline-embedder.js';

/**
 * A call's texts shorter than this together (characters) are embedded on the main thread. Measured on
 * ACI-Bench text (2 cores, warm word memo): ~2 ms at 20k characters, against a pool task's ~0.2 ms
 * round trip plus the copy and any wait for a worker; from ~50k on (5 ms, 45 ms at 200k) the event
 * loop would stall for longer than a health check should wait.
 */
export const INLINE_BELOW_CHARS = 20_000;

/** At most this many characters per pool task (~0.5 s of one worker), so other calls wait behind one at most. */
export const BATCH_MAX_CHARS = 2_000_000;

/**
 * The offline embedder (pure CPU) with long texts embedded in the worker pool: the event loop stays
 * free and a large batch spreads over the cores. Same model, version and vectors as OfflineEmbedder.
 */
export class PooledOfflineEmbedder implements Embedder {
  readonly model: string;
  readonly version: string;
  readonly dimensions: number;
  readonly #inline: OfflineEmbedder;

  constructor(
    private readonly pool: EmbeddingCpuPool,
    options: OfflineEmbedderOptions = {},
    private readonly inlineBelowChars = INLINE_BELOW_CHARS,
  ) {
    this.#inline = new OfflineEmbedder(options);
    ({ model: this.model, version: this.version, dimensions: this.dimensions } = this.#inline);
  }

  async embed(texts: string[], bounds: CallBounds): Promise<Float32Array[]> {
    throwIfAborted(bounds.signal);
    if (texts.reduce((sum, t) => sum + t.length, 0) < this.inlineBelowChars) return this.#inline.embed(texts, bounds);
    const batches = consecutiveBatches(texts, (t) => t.length, { minBatches: this.pool.threads, maxBatchSize: BATCH_MAX_CHARS });
    const outputs = await this.pool.runEach('offline_embedding', batches.map((batch) => ({ dimensions: this.dimensions, texts: batch })), bounds);
    return outputs.flat();
  }
}
