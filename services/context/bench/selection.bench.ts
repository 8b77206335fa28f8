/**
 * Selection cost per candidate for 1k, 10k and 100k past encounters at 256 and 768 dimensions
 * (goal: ≤ 0.3 µs per candidate at 10k). Times `selectContext` end to end on a warm pool with the
 * request's token counts precomputed (they are per request, not per candidate; their cost is
 * printed apart), plus the similarity scan alone and a plain-JS scan for the SIMD kernel's ratio.
 *
 * Run: `npx tsx services/context/bench/selection.bench.ts`, or call `runSelectionBench()`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contextStopReasonToJSON } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { CandidatePool } from '../src/domain/candidate-pool.js';
import { conceptIdsFor } from '@clinote/shared/clinical-lexicon/concepts.js';
import { selectContext } from '../src/domain/selection.js';
import { field, section, seededRandom, sop, unitVector, vectorAtSimilarity } from '../src/domain/test-fixtures.js';
import { countTokens } from '../src/domain/tokens.js';

const SIZES = [1_000, 10_000, 100_000];
const DIMENSIONS = [256, 768];
const SECTIONS = ['CHIEF COMPLAINT', 'HISTORY OF PRESENT ILLNESS', 'REVIEW OF SYSTEMS', 'PHYSICAL EXAM', 'RESULTS', 'ASSESSMENT AND PLAN'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median milliseconds of `run` over enough repetitions to last about `budgetMs`. */
function time(run: () => void, budgetMs = 400): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (samples.length < 5 || (performance.now() < deadline && samples.length < 200)) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function plainJsScan(rows: Float32Array, n: number, d: number, query: Float32Array, out: Float32Array): void {
  for (let i = 0, base = 0; i < n; i++, base += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += rows[base + j]! * query[j]!;
    out[i] = s;
  }
}

function loadTranscript(): string {
  const path = new URL('../../../../shared/data/aci-bench/valid.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { data: Array<{ src: string }> }).data[0]!.src;
  } catch {
    throw new Error(`selection bench: shared data not found at ${fileURLToPath(path)} (expected ../shared/data beside the repo)`);
  }
}

export async function runSelectionBench(): Promise<void> {
  const transcript = loadTranscript();
  const sops = [sop('aci', SECTIONS.map((title) => section(title, [field(`${title} summary`)])))];
  const transcriptConceptIds = conceptIdsFor(transcript);
  const transcriptTokens = countTokens('gpt-4o', transcript);
  const tokenizeMs = time(() => countTokens('gpt-4o', transcript));
  const conceptMs = time(() => conceptIdsFor(transcript));
  console.log(`per request (not per candidate): transcript ${transcript.length} chars -> ${transcriptTokens} o200k tokens in ${tokenizeMs.toFixed(3)} ms; concept extraction ${(conceptMs * 1000).toFixed(1)} µs (${transcriptConceptIds.length} concepts)`);
  console.log('');
  console.log('candidates  dim  select ms  µs/candidate  scan ms  JS scan ms  SIMD speed-up  choices  stop');

  const rows: Array<{ n: number; d: number; perCandidate: number }> = [];
  for (const dimension of DIMENSIONS) {
    for (const n of SIZES) {
      const random = seededRandom(n + dimension);
      const query = unitVector(dimension, random);
      const pool = new CandidatePool(dimension, n);
      const conceptSample = [conceptIdsFor('knee pain ibuprofen'), conceptIdsFor('hypertension lisinopril chest pain'), transcriptConceptIds];
      for (let i = 0; i < n; i++) {
        pool.upsert({
          id: `e${i}`,
          embedding: i % 997 === 0 ? vectorAtSimilarity(query, 0.6 + random() * 0.3, random) : unitVector(dimension, random),
          qualityScore: random(),
          conceptIds: conceptSample[i % 3]!,
          filledSections: SECTIONS.filter(() => random() < 0.7),
          tokenCount: 1500 + Math.floor(random() * 1500),
          createdAt: new Date(1_700_000_000_000 + i * 60_000),
        });
      }
      const request = {
        transcript,
        transcriptEmbedding: query,
        transcriptConceptIds,
        transcriptTokens,
        sopTokens: 120,
        sops,
        pool,
        model: 'gpt-4o',
        contextWindow: 128_000,
        reservedOutputTokens: 4_000,
      };
      let last = selectContext(request);
      const selectMs = time(() => {
        last = selectContext(request);
      });
      const scanMs = time(() => pool.topBySimilarity(query, 64));
      const jsRows = new Float32Array(Math.min(n, 10_000) * dimension);
      for (let i = 0; i < jsRows.length; i++) jsRows[i] = random() - 0.5;
      const jsOut = new Float32Array(Math.min(n, 10_000));
      const jsMs = (time(() => plainJsScan(jsRows, jsOut.length, dimension, query, jsOut), 200) * n) / jsOut.length;
      const perCandidate = (selectMs * 1000) / n;
      rows.push({ n, d: dimension, perCandidate });
      console.log(
        `${String(n).padStart(10)}  ${String(dimension).padStart(3)}  ${selectMs.toFixed(3).padStart(9)}  ${perCandidate.toFixed(3).padStart(12)}  ${scanMs.toFixed(3).padStart(7)}  ${jsMs.toFixed(3).padStart(10)}  ${(jsMs / scanMs).toFixed(1).padStart(12)}x  ${String(last.choices.length).padStart(7)}  ${contextStopReasonToJSON(last.stopReason).replace('CONTEXT_STOP_REASON_', '')}`,
      );
    }
  }
  console.log('');
  for (const dimension of DIMENSIONS) {
    const at = (n: number): number => rows.find((r) => r.n === n && r.d === dimension)!.perCandidate;
    const goal = at(10_000) <= 0.3 ? 'meets' : 'misses';
    console.log(
      `${dimension}-dim: ${at(10_000).toFixed(3)} µs/candidate at 10k (${goal} the 0.3 µs goal); per-candidate cost ratio 10k/1k ${(at(10_000) / at(1_000)).toFixed(2)}, 100k/10k ${(at(100_000) / at(10_000)).toFixed(2)}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runSelectionBench();
}
