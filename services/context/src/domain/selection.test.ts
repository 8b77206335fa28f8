import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { ContextStopReason } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ValidationError } from '@clinote/shared/errors.js';
import { CandidatePool, type CandidateRecord } from './candidate-pool.js';
import { conceptIdsFor, conceptWeightNorm, medicalRelevance } from '@clinote/shared/clinical-lexicon/concepts.js';
import { contextCompleteness } from './sections.js';
import { exampleLimits, selectContext, sopPromptText, type SelectContextInput } from './selection.js';
import { countTokens, encodingForModel } from './tokens.js';
import { field, record, section, seededRandom, sop, unitVector, vectorAtSimilarity } from './test-fixtures.js';

const DIM = 32;
const TRANSCRIPT = '[doctor] how is your left knee pain? [patient] worse since the fall, ibuprofen helps a bit.';
const SOAP = sop('soap', [section('Subjective'), section('Objective'), section('Assessment'), section('Plan')]);
const ALL_SOAP = ['CHIEF COMPLAINT', 'PHYSICAL EXAM', 'ASSESSMENT AND PLAN'];

function setup(seed = 1): { random: () => number; query: Float32Array } {
  const random = seededRandom(seed);
  return { random, query: unitVector(DIM, random) };
}

function input(pool: CandidatePool, query: Float32Array, overrides: Partial<SelectContextInput> = {}): SelectContextInput {
  return {
    transcript: TRANSCRIPT,
    transcriptEmbedding: query,
    sops: [SOAP],
    pool,
    model: 'gpt-4o',
    contextWindow: 128_000,
    reservedOutputTokens: 4_000,
    ...overrides,
  };
}

/** Candidates at given similarities to the query, each with distinct directions (no near-copies). */
function candidatesAt(similarities: number[], query: Float32Array, random: () => number, extra: Partial<CandidateRecord> = {}): CandidateRecord[] {
  return similarities.map((s, i) => record(`e${i}`, vectorAtSimilarity(query, s, random), { filledSections: ALL_SOAP, ...extra }));
}

describe('selectContext factors', () => {
  it('reports each factor and the weighted score for a chosen encounter', () => {
    const { random, query } = setup();
    const candidateText = 'left knee pain after a fall; ibuprofen; knee MRI planned';
    const filled = ['CHIEF COMPLAINT', 'PLAN'];
    const pool = CandidatePool.from([
      record('knee', vectorAtSimilarity(query, 0.8, random), {
        qualityScore: 0.9,
        conceptIds: conceptIdsFor(candidateText),
        filledSections: filled,
        tokenCount: 700,
      }),
    ]);
    const selection = selectContext(input(pool, query, { options: { coverageThreshold: 2 } }));
    expect(selection.choices).toHaveLength(1);
    const choice = selection.choices[0]!;
    const t = conceptIdsFor(TRANSCRIPT);
    const c = conceptIdsFor(candidateText);
    expect(choice.id).toBe('knee');
    expect(choice.encounterId).toBe('knee');
    expect(choice.similarity).toBeCloseTo(0.8, 5);
    expect(choice.medicalRelevance).toBeCloseTo(medicalRelevance(t, conceptWeightNorm(t), c, conceptWeightNorm(c)), 10);
    expect(choice.medicalRelevance).toBeGreaterThan(0.3);
    expect(choice.extractionQuality).toBeCloseTo(0.9, 6);
    expect(choice.contextCompleteness).toBeCloseTo(contextCompleteness([SOAP], filled), 10);
    expect(choice.contextCompleteness).toBeCloseTo(0.5, 10); // subjective + plan of four sections
    expect(choice.score).toBeCloseTo(
      0.4 * choice.similarity + 0.3 * choice.medicalRelevance + 0.2 * choice.extractionQuality + 0.1 * choice.contextCompleteness,
      10,
    );
    expect(choice.tokens).toBe(700);
  });

  it('clamps negative similarity to 0 and uses precomputed transcript concepts', () => {
    const { random, query } = setup();
    const pool = CandidatePool.from([
      record('opposite', vectorAtSimilarity(query, -0.6, random), { qualityScore: 1, filledSections: ALL_SOAP, conceptIds: conceptIdsFor('diabetes') }),
    ]);
    const selection = selectContext(
      input(pool, query, { transcriptConceptIds: conceptIdsFor('diabetes'), options: { scoreFloor: 0 } }),
    );
    expect(selection.choices[0]!.similarity).toBe(0);
    expect(selection.choices[0]!.medicalRelevance).toBeCloseTo(1, 10);
  });

  it('ranks by the weighted score, not similarity alone, and similarity mode is the plain baseline', () => {
    const { random, query } = setup();
    const concepts = conceptIdsFor(TRANSCRIPT);
    const pool = CandidatePool.from([
      record('similar-but-poor', vectorAtSimilarity(query, 0.75, random), { qualityScore: 0.1, filledSections: [] }),
      record('relevant-and-good', vectorAtSimilarity(query, 0.6, random), { qualityScore: 0.95, conceptIds: concepts, filledSections: ALL_SOAP }),
    ]);
    const weighted = selectContext(input(pool, query));
    expect(weighted.choices[0]!.id).toBe('relevant-and-good');
    const baseline = selectContext(input(pool, query, { mode: 'similarity' }));
    expect(baseline.choices[0]!.id).toBe('similar-but-poor');
    expect(baseline.choices[0]!.score).toBeCloseTo(baseline.choices[0]!.similarity, 10);
    const none = selectContext(input(pool, query, { mode: 'none' }));
    expect(none.choices).toEqual([]);
    expect(none.tokensUsed).toBe(0);
  });

  it('never chooses an excluded encounter and says when there are no candidates', () => {
    const { random, query } = setup();
    const pool = CandidatePool.from(candidatesAt([0.9], query, random));
    expect(selectContext(input(pool, query, { excludeIds: ['e0'] })).stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_NO_CANDIDATES);
    expect(selectContext(input(new CandidatePool(DIM), query)).stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_NO_CANDIDATES);
  });

  it('rejects a bad window or an embedding of the wrong dimension', () => {
    const { random, query } = setup();
    const pool = CandidatePool.from(candidatesAt([0.9], query, random));
    expect(() => selectContext(input(pool, query, { contextWindow: 0 }))).toThrow(ValidationError);
    expect(() => selectContext(input(pool, new Float32Array(DIM + 1)))).toThrow(ValidationError);
  });
});

describe('dynamic sizing', () => {
  it('k_max grows with the SOP and shrinks with the transcript', () => {
    expect(exampleLimits(1000, 24).kMax).toBeGreaterThan(exampleLimits(1000, 4).kMax);
    expect(exampleLimits(8000, 24).kMax).toBeLessThan(exampleLimits(1000, 24).kMax);
    expect(exampleLimits(50_000, 4)).toEqual({ kMin: 1, kMax: 1 });
    expect(exampleLimits(1000, 1000).kMax).toBe(8);
  });

  // Twelve equally good candidates, each filling one of twelve sections.
  const titles = Array.from({ length: 12 }, (_, i) => `Section ${String.fromCharCode(65 + i)} Notes`);
  function spreadPool(query: Float32Array, random: () => number): CandidatePool {
    return CandidatePool.from(
      titles.map((title, i) => record(`e${i}`, vectorAtSimilarity(query, 0.7, random), { filledSections: [title] })),
    );
  }

  it('a bigger SOP gets more examples', () => {
    const { random, query } = setup(3);
    const pool = spreadPool(query, random);
    const small = selectContext(input(pool, query, { sops: [sop('small', titles.slice(0, 2).map((t) => section(t)))] }));
    const big = selectContext(input(pool, query, { sops: [sop('big', titles.map((t) => section(t, [field(`${t} detail`)])))] }));
    expect(big.choices.length).toBeGreaterThan(small.choices.length);
    expect(big.kMax).toBeGreaterThan(small.kMax);
  });

  it('a long transcript gets fewer examples', () => {
    const { random, query } = setup(4);
    const pool = spreadPool(query, random);
    const sops = [sop('big', titles.map((t) => section(t, [field(`${t} detail`)])))];
    const short = selectContext(input(pool, query, { sops, transcriptTokens: 500 }));
    const long = selectContext(input(pool, query, { sops, transcriptTokens: 9_000 }));
    expect(long.choices.length).toBeLessThan(short.choices.length);
  });
});

describe('early termination', () => {
  it('stops once the chosen examples cover the SOP', () => {
    const { random, query } = setup(5);
    const pool = CandidatePool.from(candidatesAt([0.9, 0.88, 0.86, 0.84, 0.82], query, random));
    const selection = selectContext(input(pool, query));
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_COVERAGE_REACHED);
    expect(selection.choices).toHaveLength(selection.kMin);
    expect(selection.coverage).toBe(1);
    expect(selection.candidatesConsidered).toBe(5);
  });

  it('needs the union of several partial examples to cover the SOP', () => {
    const { random, query } = setup(6);
    const parts = [['CHIEF COMPLAINT'], ['PHYSICAL EXAM'], ['ASSESSMENT'], ['PLAN'], ['PLAN']];
    const pool = CandidatePool.from(parts.map((filled, i) => record(`e${i}`, vectorAtSimilarity(query, 0.8 - i * 0.01, random), { filledSections: filled })));
    const selection = selectContext(input(pool, query, { options: { maxExamples: 8, requirementsPerExample: 1 } }));
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_COVERAGE_REACHED);
    const ids = selection.choices.map((c) => c.id);
    // Four examples, one per SOAP part; e3 and e4 both fill only the plan, so one of them.
    expect(ids).toHaveLength(4);
    expect(ids).toEqual(expect.arrayContaining(['e0', 'e1', 'e2']));
    expect(ids.includes('e3') !== ids.includes('e4')).toBe(true);
  });

  it('stops when the next score falls below the margin or the floor', () => {
    const { random, query } = setup(7);
    const pool = CandidatePool.from([
      record('strong', vectorAtSimilarity(query, 0.95, random), { qualityScore: 1, conceptIds: conceptIdsFor(TRANSCRIPT) }),
      record('weak-1', vectorAtSimilarity(query, 0.2, random), { qualityScore: 0.2 }),
      record('weak-2', vectorAtSimilarity(query, 0.1, random), { qualityScore: 0.1 }),
    ]);
    const selection = selectContext(input(pool, query, { options: { maxExamples: 8, requirementsPerExample: 1 } }));
    expect(selection.kMin).toBeGreaterThan(1);
    expect(selection.choices.map((c) => c.id)).toEqual(['strong']);
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_SCORE_FLOOR);

    const onlyWeak = CandidatePool.from([record('weak', vectorAtSimilarity(query, 0.1, random), { qualityScore: 0.1 })]);
    const none = selectContext(input(onlyWeak, query));
    expect(none.choices).toEqual([]);
    expect(none.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_SCORE_FLOOR);
  });

  it('stops at k_max', () => {
    const { random, query } = setup(8);
    const pool = CandidatePool.from(candidatesAt([0.9, 0.89, 0.88, 0.87], query, random, { filledSections: [] }));
    const selection = selectContext(input(pool, query, { options: { maxExamples: 2 } }));
    expect(selection.choices).toHaveLength(2);
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_MAX_EXAMPLES);
  });
});

describe('token budget', () => {
  const transcript = 'Patient reports three days of productive cough, fever of 101.5 F and <|endoftext|> fatigue.';

  it('counts transcript and SOP tokens exactly with the model tokenizer', () => {
    expect(encodingForModel('gpt-4o')).toBe('o200k_base');
    expect(encodingForModel('gpt-4.1-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-5')).toBe('o200k_base');
    expect(encodingForModel('gpt-4')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('some-local-model')).toBe('o200k_base');
    const plain = { disallowedSpecial: new Set<string>() };
    expect(countTokens('gpt-4o', transcript)).toBe(encodeO200k(transcript, plain).length);
    expect(countTokens('gpt-4', transcript)).toBe(encodeCl100k(transcript, plain).length);
    expect(() => countTokens('text-davinci-003', transcript)).toThrow(ValidationError);
  });

  it.each(['gpt-4o', 'gpt-4'])('budget = window − transcript − SOP − reserved output, and chosen examples fit it (%s)', (model) => {
    const { random, query } = setup(9);
    const encode = model === 'gpt-4' ? encodeCl100k : encodeO200k;
    const plain = { disallowedSpecial: new Set<string>() };
    const transcriptTokens = encode(transcript, plain).length;
    const sopTokens = encode(sopPromptText([SOAP]), plain).length;
    const reserved = 1_000;
    const contextWindow = transcriptTokens + sopTokens + reserved + 1_000;
    const pool = CandidatePool.from(
      [900, 700, 400, 300, 200].map((tokens, i) =>
        record(`e${i}`, vectorAtSimilarity(query, 0.9 - i * 0.01, random), { tokenCount: tokens, filledSections: [] }),
      ),
    );
    const selection = selectContext(
      input(pool, query, { transcript, model, contextWindow, reservedOutputTokens: reserved, options: { maxExamples: 8, requirementsPerExample: 1 } }),
    );
    expect(selection.tokenBudget).toBe(1_000);
    expect(selection.tokensUsed).toBe(selection.choices.reduce((s, c) => s + c.tokens, 0));
    expect(selection.tokensUsed).toBeLessThanOrEqual(1_000);
    // 900 first, then nothing else fits except... 900 + anything > 1000; skipped ones leave TOKEN_BUDGET.
    expect(selection.choices.map((c) => c.id)).toEqual(['e0']);
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_TOKEN_BUDGET);
  });

  it('chooses nothing when the transcript alone fills the window', () => {
    const { random, query } = setup(10);
    const pool = CandidatePool.from(candidatesAt([0.9], query, random));
    const selection = selectContext(input(pool, query, { contextWindow: 60, reservedOutputTokens: 50 }));
    expect(selection.tokenBudget).toBe(0);
    expect(selection.choices).toEqual([]);
    expect(selection.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_TOKEN_BUDGET);
  });
});

describe('diversity', () => {
  it('never chooses two near-copies', () => {
    const { random, query } = setup(11);
    const original = vectorAtSimilarity(query, 0.9, random);
    const copy = vectorAtSimilarity(original, 0.99, random);
    const other = vectorAtSimilarity(query, 0.85, random);
    const pool = CandidatePool.from([
      record('original', original, { filledSections: [] }),
      record('copy', copy, { filledSections: [] }),
      record('other', other, { filledSections: [] }),
    ]);
    expect(pool.similarityBetween(0, 1)).toBeGreaterThan(0.95);
    const selection = selectContext(input(pool, query, { options: { maxExamples: 3, requirementsPerExample: 1 } }));
    const ids = selection.choices.map((c) => c.id);
    expect(ids).toContain('other');
    expect(ids.includes('original') && ids.includes('copy')).toBe(false);
    expect(ids).toHaveLength(2);
  });
});

describe('scale', () => {
  it('selects from a 100,000-encounter pool', () => {
    const random = seededRandom(12);
    const dimension = 64;
    const query = unitVector(dimension, random);
    const pool = new CandidatePool(dimension, 100_000);
    for (let i = 0; i < 100_000; i++) {
      pool.upsert(record(`e${i}`, i === 4242 ? vectorAtSimilarity(query, 0.97, random) : unitVector(dimension, random), { filledSections: ALL_SOAP }));
    }
    const selection = selectContext(input(pool, query, { transcriptTokens: 1_500 }));
    expect(selection.poolSize).toBe(100_000);
    expect(selection.candidatesConsidered).toBe(64);
    expect(selection.choices[0]!.id).toBe('e4242');
  });
});
