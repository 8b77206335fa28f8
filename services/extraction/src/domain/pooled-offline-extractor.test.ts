import { afterAll, describe, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { CancelledError } from '@clinote/shared/errors.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { createExtractionCpuPool } from './cpu-pool.js';
import { OfflineExtractor } from './offline-extractor.js';
import { PooledOfflineExtractor } from './pooled-offline-extractor.js';

const pool = createExtractionCpuPool({ threads: 2, maxQueue: 8 });
afterAll(() => pool.close());

const sop = (id: string, sections: Sop['sections']): Sop => ({ id, userId: 'u-1', name: id, version: 2, active: true, sections });
const [first, second] = loadAciBench('valid');

describe('PooledOfflineExtractor', () => {
  const pooled = new PooledOfflineExtractor(pool);

  it('gives what the offline extractor gives on the main thread, SOPs in parallel', async () => {
    const inputs = [
      { transcript: first!.src, sop: sop('aci', ACI_BENCH_SECTIONS), examples: [] },
      { transcript: second!.src, sop: sop('soap', SOAP_NOTE_SECTIONS), examples: [{ encounterId: 'past', transcript: second!.src, note: second!.tgt }] },
    ];
    const bounds = { deadline: new Date(Date.now() + 60_000) };
    const outputs = await Promise.all(inputs.map((input) => pooled.extract(input, bounds)));
    const inline = new OfflineExtractor();
    expect(outputs).toEqual(await Promise.all(inputs.map((input) => inline.extract(input, {}))));
    expect(pooled.name).toBe(inline.name);
  });

  it('stops when the caller cancels', async () => {
    const controller = new AbortController();
    controller.abort();
    const input = { transcript: first!.src, sop: sop('aci', ACI_BENCH_SECTIONS), examples: [] };
    await expect(pooled.extract(input, { signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});
