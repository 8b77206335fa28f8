import type { ExtractionCpuPool } from './cpu-pool.js';
import type { CallBounds, ExtractionInput, ExtractionOutput, Extractor } from './extractor.js';

/**
 * The offline extractor (pure CPU) run in the worker pool, one SOP per task: the event loop stays free
 * and the SOPs of a request spread over the cores. Same name and results as OfflineExtractor.
 */
export class PooledOfflineExtractor implements Extractor {
  readonly name = 'offline';

  constructor(private readonly pool: ExtractionCpuPool) {}

  extract(input: ExtractionInput, bounds: CallBounds): Promise<ExtractionOutput> {
    return this.pool.run('offline_extraction', input, bounds);
  }
}
