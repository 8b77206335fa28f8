import { afterAll, describe, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { createExtractionCpuPool } from './cpu-pool.js';
import { evaluateRequest } from './cpu-tasks.js';
import { OfflineExtractor } from './offline-extractor.js';
import { toSopResult, type ExtractedSop } from './sop-schema.js';

// The pool itself (deadlines, cancellation, the queue bound) is tested in @clinote/shared/cpu-pool.test.ts.
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });
const pool = createExtractionCpuPool({ threads: 2, maxQueue: 8 });
afterAll(() => pool.close());

describe('the extraction worker (TypeScript loaded in the worker thread)', () => {
  const encounter = loadAciBench('valid')[0]!;
  // Dates survive the structured clone to the worker.
  const at = new Date('2026-01-02T03:04:05Z');
  const sop: Sop = { id: '00000000-0000-4000-8000-000000000001', userId: '', name: 'ACI', version: 1, active: true, sections: ACI_BENCH_SECTIONS, createdAt: at, updatedAt: at };

  it('extracts one SOP offline exactly as on the main thread', async () => {
    const input = { transcript: encounter.src, sop, examples: [] };
    const pooled = await pool.run('offline_extraction', input, soon(60_000));
    expect(pooled).toEqual(await new OfflineExtractor().extract(input, {}));
    expect(pooled.result.renderedNote.length).toBeGreaterThan(100);
  });

  it('evaluates a request exactly as on the main thread', async () => {
    const { result } = await new OfflineExtractor().extract({ transcript: encounter.src, sop, examples: [] }, {});
    const request = { transcript: encounter.src, sops: [sop], results: [result], referenceNote: encounter.tgt };
    const pooled = await pool.run('evaluation', request, soon(60_000));
    expect(pooled).toEqual(evaluateRequest(request));
    expect(pooled.overall?.rouge?.rouge1).toBeGreaterThan(0);
  });

  it("grounds an LLM's answer exactly as on the main thread", async () => {
    // An answer quoting the transcript for the first field of every section, the rest null.
    const quote = encounter.src.slice(200, 260).trim();
    const answer: ExtractedSop = Object.fromEntries(
      sop.sections.map((section) => [
        section.key,
        Object.fromEntries(section.fields.map((f, i) => [f.key, i === 0 ? { value: quote, evidence_quotes: [quote] } : { value: null, evidence_quotes: [] }])),
      ]),
    );
    const grounding = { sop, transcript: encounter.src, answer };
    const pooled = await pool.run('llm_grounding', grounding, soon(60_000));
    expect(pooled).toEqual(toSopResult(sop, encounter.src, answer));
    expect(pooled.sections[0]!.fields[0]!.evidence.length).toBeGreaterThan(0);
  });
});
