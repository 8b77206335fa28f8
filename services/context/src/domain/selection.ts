/**
 * Smart context selection: which past encounters to give the extractor as few-shot examples.
 *
 * score = 0.4·similarity + 0.3·medical_relevance + 0.2·extraction_quality + 0.1·context_completeness
 *   similarity           cosine(transcript embedding, candidate embedding), negatives clamped to 0
 *   medical_relevance    IDF-weighted cosine of clinical concept sets (concepts.ts)
 *   extraction_quality   the candidate's stored evaluation score
 *   context_completeness share of the SOPs' sections and required fields its note/result fills (sections.ts)
 *
 * Retrieval: an exact SIMD flat scan over the user's warm pool gives a similarity shortlist (64);
 * only the shortlist gets the other factors. Then greedy MMR (λ 0.7) picks examples, skipping
 * near-copies (cosine > 0.95 to one already chosen), nudged (0.1 × marginal coverage) toward
 * examples that fill SOP parts still empty, and any that no longer fit the token budget,
 * and stops at the first of: k_max examples, the SOP covered (≥ 90 % by the union of chosen
 * examples, with at least k_min), the next score below the floor / margin, or nothing left.
 *
 * Sizing: k_max = 1 + ⌈requirements / 4⌉ − ⌊transcript tokens / 2500⌋ (clamped to [1, 8]),
 * k_min = ⌈k_max / 3⌉; only candidates scoring within 0.15 of the best and above 0.25 qualify.
 */
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ContextStopReason, type ContextChoice } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ValidationError } from '@clinote/shared/errors.js';
import type { CandidatePool } from './candidate-pool.js';
import { conceptIdsFor, conceptWeightNorm, medicalRelevance, normaliseConceptIds } from '@clinote/shared/clinical-lexicon/concepts.js';
import { requirementCoverage, sopRequirements, type SopRequirement } from './sections.js';
import { countTokens } from './tokens.js';

export const SCORE_WEIGHTS = {
  similarity: 0.4,
  medicalRelevance: 0.3,
  extractionQuality: 0.2,
  contextCompleteness: 0.1,
} as const;

/** weighted: the four-factor score; similarity: plain top-k by cosine (baseline); none: no context. */
export type SelectionMode = 'weighted' | 'similarity' | 'none';

export interface SelectionOptions {
  /** Candidates taken from the similarity scan for full scoring. */
  shortlistSize: number;
  /** Qualify only candidates scoring at least best − margin. */
  scoreMargin: number;
  /** Qualify only candidates scoring at least this. */
  scoreFloor: number;
  /** Stop once the chosen examples fill this share of the SOP requirements (and k_min are chosen). */
  coverageThreshold: number;
  /** MMR trade-off between relevance (1) and novelty (0). */
  mmrLambda: number;
  /** Two examples at least this similar are near-copies: only one is kept. */
  nearDuplicateSimilarity: number;
  /** Weight of an example's marginal SOP coverage in the MMR pick. */
  coverageGainWeight: number;
  /** Hard cap on examples. */
  maxExamples: number;
  /** k_max grows by one per this many SOP requirements. */
  requirementsPerExample: number;
  /** k_max shrinks by one per this many transcript tokens. */
  transcriptTokensPerExampleLess: number;
}

export const DEFAULT_SELECTION_OPTIONS: Readonly<SelectionOptions> = {
  shortlistSize: 64,
  scoreMargin: 0.15,
  scoreFloor: 0.25,
  coverageThreshold: 0.9,
  mmrLambda: 0.7,
  nearDuplicateSimilarity: 0.95,
  coverageGainWeight: 0.1,
  maxExamples: 8,
  requirementsPerExample: 4,
  transcriptTokensPerExampleLess: 2500,
};

export interface SelectContextInput {
  transcript: string;
  /** The transcript's embedding (same model and dimension as the pool). */
  transcriptEmbedding: Float32Array;
  /** Concept ids of the transcript, if already computed; otherwise computed from `transcript`. */
  transcriptConceptIds?: ArrayLike<number>;
  sops: readonly Sop[];
  pool: CandidatePool;
  /** Extraction model name, for its tokenizer. */
  model: string;
  contextWindow: number;
  reservedOutputTokens: number;
  mode?: SelectionMode;
  /** Exact transcript token count if the caller has it (saves ~1 ms of tokenizing). */
  transcriptTokens?: number;
  /** Exact token count of the SOP text the prompt carries; defaults to counting `sopPromptText(sops)`. */
  sopTokens?: number;
  /** Encounters never to choose (for example the one being re-extracted). */
  excludeIds?: Iterable<string>;
  options?: Partial<SelectionOptions>;
}

/** A chosen past encounter with its factors; `encounterId` mirrors `id` so it maps onto the proto's ContextChoice. */
export interface ChosenContext extends ContextChoice {
  id: string;
}

export interface ContextSelection {
  /** In the order chosen (most useful first). */
  choices: ChosenContext[];
  stopReason: ContextStopReason;
  tokenBudget: number;
  tokensUsed: number;
  /** Candidates fully scored (the shortlist), not the pool size. */
  candidatesConsidered: number;
  poolSize: number;
  kMin: number;
  kMax: number;
  /** Share of SOP requirements filled by the union of chosen examples. */
  coverage: number;
}

/** How many examples the request warrants: more for bigger SOPs, fewer for long transcripts. */
export function exampleLimits(
  transcriptTokens: number,
  requirementCount: number,
  options: Pick<SelectionOptions, 'maxExamples' | 'requirementsPerExample' | 'transcriptTokensPerExampleLess'> = DEFAULT_SELECTION_OPTIONS,
): { kMin: number; kMax: number } {
  const raw =
    1 +
    Math.ceil(requirementCount / options.requirementsPerExample) -
    Math.floor(transcriptTokens / options.transcriptTokensPerExampleLess);
  const kMax = Math.max(1, Math.min(options.maxExamples, raw));
  return { kMin: Math.max(1, Math.ceil(kMax / 3)), kMax };
}

/** The SOP text counted against the budget when the caller does not pass `sopTokens`. */
export function sopPromptText(sops: readonly Sop[]): string {
  const lines: string[] = [];
  for (const sop of sops) {
    lines.push(`# ${sop.name}`);
    for (const section of sop.sections) {
      lines.push(`## ${section.title}${section.instructions ? `: ${section.instructions}` : ''}`);
      for (const field of section.fields) {
        const required = field.required ? ' (required)' : '';
        lines.push(`- ${field.label}${required}${field.instructions ? `: ${field.instructions}` : ''}`);
      }
    }
  }
  return lines.join('\n');
}

/** The four-factor score. */
export function contextScore(factors: {
  similarity: number;
  medicalRelevance: number;
  extractionQuality: number;
  contextCompleteness: number;
}): number {
  return (
    SCORE_WEIGHTS.similarity * factors.similarity +
    SCORE_WEIGHTS.medicalRelevance * factors.medicalRelevance +
    SCORE_WEIGHTS.extractionQuality * factors.extractionQuality +
    SCORE_WEIGHTS.contextCompleteness * factors.contextCompleteness
  );
}

interface ScoredCandidate {
  index: number;
  choice: ChosenContext;
}

/** Chooses past encounters for one extraction; pure apart from reading the pool. */
export function selectContext(input: SelectContextInput): ContextSelection {
  const options: SelectionOptions = { ...DEFAULT_SELECTION_OPTIONS, ...input.options };
  const mode = input.mode ?? 'weighted';
  validate(input);

  const transcriptTokens = input.transcriptTokens ?? countTokens(input.model, input.transcript);
  const sopTokens = input.sopTokens ?? countTokens(input.model, sopPromptText(input.sops));
  const tokenBudget = Math.max(0, Math.floor(input.contextWindow - transcriptTokens - sopTokens - input.reservedOutputTokens));
  const requirements = sopRequirements(input.sops);
  const { kMin, kMax } = exampleLimits(transcriptTokens, requirements.length, options);
  const pool = input.pool;
  const result = (
    stopReason: ContextStopReason,
    choices: ChosenContext[] = [],
    considered = 0,
    coverage = 0,
  ): ContextSelection => ({
    choices,
    stopReason,
    tokenBudget,
    tokensUsed: choices.reduce((sum, c) => sum + c.tokens, 0),
    candidatesConsidered: considered,
    poolSize: pool.size,
    kMin,
    kMax,
    coverage,
  });

  // 'none' is the no-context baseline: nothing may be chosen.
  if (mode === 'none') return result(ContextStopReason.CONTEXT_STOP_REASON_MAX_EXAMPLES);
  if (pool.size === 0) return result(ContextStopReason.CONTEXT_STOP_REASON_NO_CANDIDATES);

  const excluded = new Set(input.excludeIds ?? []);
  const shortlist = pool.topBySimilarity(input.transcriptEmbedding, options.shortlistSize + excluded.size);
  const transcriptConcepts = input.transcriptConceptIds
    ? normaliseConceptIds(input.transcriptConceptIds)
    : conceptIdsFor(input.transcript);
  const transcriptNorm = conceptWeightNorm(transcriptConcepts);

  const scored: ScoredCandidate[] = [];
  for (let s = 0; s < shortlist.indexes.length && scored.length < options.shortlistSize; s++) {
    const index = shortlist.indexes[s]!;
    const id = pool.idAt(index);
    if (excluded.has(id)) continue;
    const similarity = Math.max(0, Math.min(1, shortlist.similarities[s]!));
    const factors = {
      similarity,
      medicalRelevance: medicalRelevance(transcriptConcepts, transcriptNorm, pool.conceptIdsAt(index), pool.conceptNormAt(index)),
      extractionQuality: pool.qualityAt(index),
      contextCompleteness: requirementCoverage(requirements, pool.filledSectionsAt(index)),
    };
    const score = mode === 'similarity' ? similarity : contextScore(factors);
    scored.push({ index, choice: { id, encounterId: id, score, ...factors, tokens: pool.tokenCountAt(index) } });
  }
  if (scored.length === 0) return result(ContextStopReason.CONTEXT_STOP_REASON_NO_CANDIDATES);
  // Ties broken by recency, then id, so the choice is deterministic.
  scored.sort((a, b) => b.choice.score - a.choice.score || pool.createdAtMs(b.index) - pool.createdAtMs(a.index) || (a.choice.id < b.choice.id ? -1 : 1));

  return mode === 'similarity'
    ? topBySimilarityWithinBudget(scored, kMax, tokenBudget, requirements, pool, result)
    : chooseWeighted(scored, { kMin, kMax, tokenBudget, requirements, options, pool }, result);
}

type ResultBuilder = (stopReason: ContextStopReason, choices?: ChosenContext[], considered?: number, coverage?: number) => ContextSelection;

function topBySimilarityWithinBudget(
  scored: ScoredCandidate[],
  kMax: number,
  tokenBudget: number,
  requirements: readonly SopRequirement[],
  pool: CandidatePool,
  result: ResultBuilder,
): ContextSelection {
  const chosen: ScoredCandidate[] = [];
  let used = 0;
  let skippedForBudget = false;
  for (const candidate of scored) {
    if (chosen.length >= kMax) break;
    if (used + candidate.choice.tokens > tokenBudget) {
      skippedForBudget = true;
      continue;
    }
    chosen.push(candidate);
    used += candidate.choice.tokens;
  }
  const reason =
    chosen.length >= kMax
      ? ContextStopReason.CONTEXT_STOP_REASON_MAX_EXAMPLES
      : skippedForBudget
        ? ContextStopReason.CONTEXT_STOP_REASON_TOKEN_BUDGET
        : ContextStopReason.CONTEXT_STOP_REASON_CANDIDATES_EXHAUSTED;
  return result(reason, chosen.map((c) => c.choice), scored.length, unionCoverage(chosen, requirements, pool));
}

function chooseWeighted(
  scored: ScoredCandidate[],
  plan: {
    kMin: number;
    kMax: number;
    tokenBudget: number;
    requirements: readonly SopRequirement[];
    options: SelectionOptions;
    pool: CandidatePool;
  },
  result: ResultBuilder,
): ContextSelection {
  const { kMin, kMax, tokenBudget, requirements, options, pool } = plan;
  const threshold = Math.max(options.scoreFloor, scored[0]!.choice.score - options.scoreMargin);
  const eligible = scored.filter((c) => c.choice.score >= threshold);
  const belowThreshold = eligible.length < scored.length;

  const chosen: ScoredCandidate[] = [];
  const filled = new Set<string>();
  // Highest similarity of each eligible candidate to anything chosen so far (MMR's redundancy term).
  const redundancy = new Float64Array(eligible.length);
  const open = new Uint8Array(eligible.length).fill(1);
  let used = 0;
  let skippedForBudget = false;
  let coverage = 0;

  for (;;) {
    if (chosen.length >= kMax) {
      return result(ContextStopReason.CONTEXT_STOP_REASON_MAX_EXAMPLES, chosen.map((c) => c.choice), scored.length, coverage);
    }
    let pick = -1;
    let pickValue = -Infinity;
    for (let e = 0; e < eligible.length; e++) {
      if (!open[e]) continue;
      const candidate = eligible[e]!;
      if (used + candidate.choice.tokens > tokenBudget) {
        open[e] = 0;
        skippedForBudget = true;
        continue;
      }
      // MMR, plus a nudge toward examples that fill SOP parts the chosen ones leave empty.
      const gain = chosen.length === 0 ? 0 : coverageWith(requirements, filled, pool.filledSectionsAt(candidate.index)) - coverage;
      const value =
        options.mmrLambda * candidate.choice.score - (1 - options.mmrLambda) * redundancy[e]! + options.coverageGainWeight * gain;
      if (value > pickValue) {
        pickValue = value;
        pick = e;
      }
    }
    if (pick < 0) {
      const reason = skippedForBudget
        ? ContextStopReason.CONTEXT_STOP_REASON_TOKEN_BUDGET
        : belowThreshold
          ? ContextStopReason.CONTEXT_STOP_REASON_SCORE_FLOOR
          : ContextStopReason.CONTEXT_STOP_REASON_CANDIDATES_EXHAUSTED;
      return result(reason, chosen.map((c) => c.choice), scored.length, coverage);
    }

    const picked = eligible[pick]!;
    open[pick] = 0;
    chosen.push(picked);
    used += picked.choice.tokens;
    for (const key of pool.filledSectionsAt(picked.index)) filled.add(key);
    coverage = requirementCoverage(requirements, filled);

    // Update redundancy; near-copies of the pick leave the race.
    for (let e = 0; e < eligible.length; e++) {
      if (!open[e]) continue;
      const similarity = pool.similarityBetween(picked.index, eligible[e]!.index);
      if (similarity > options.nearDuplicateSimilarity) open[e] = 0;
      else if (similarity > redundancy[e]!) redundancy[e] = similarity;
    }

    if (chosen.length >= kMin && coverage >= options.coverageThreshold) {
      return result(ContextStopReason.CONTEXT_STOP_REASON_COVERAGE_REACHED, chosen.map((c) => c.choice), scored.length, coverage);
    }
  }
}

function coverageWith(requirements: readonly SopRequirement[], filled: ReadonlySet<string>, extra: ReadonlySet<string>): number {
  if (extra.size === 0) return requirementCoverage(requirements, filled);
  return requirementCoverage(requirements, new Set([...filled, ...extra]));
}

function unionCoverage(chosen: ScoredCandidate[], requirements: readonly SopRequirement[], pool: CandidatePool): number {
  const filled = new Set<string>();
  for (const c of chosen) for (const key of pool.filledSectionsAt(c.index)) filled.add(key);
  return requirementCoverage(requirements, filled);
}

function validate(input: SelectContextInput): void {
  const violations: Array<{ field: string; description: string }> = [];
  if (!Number.isFinite(input.contextWindow) || input.contextWindow <= 0) {
    violations.push({ field: 'context_window', description: 'must be a positive number of tokens' });
  }
  if (!Number.isFinite(input.reservedOutputTokens) || input.reservedOutputTokens < 0) {
    violations.push({ field: 'reserved_output_tokens', description: 'must be zero or more tokens' });
  }
  if (input.pool.size > 0 && input.transcriptEmbedding.length !== input.pool.dimension) {
    violations.push({
      field: 'transcript_embedding',
      description: `expected ${input.pool.dimension} dimensions, got ${input.transcriptEmbedding.length}`,
    });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'invalid context selection request');
}
