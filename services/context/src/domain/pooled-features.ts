import { consecutiveBatches, type TaskBounds } from '@clinote/shared/cpu-pool.js';
import type { EncounterFeatures } from '../candidates.js';
import type { ContextCpuPool } from './cpu-pool.js';
import {
  encounterTextFeatures,
  selectionFeatures,
  type EncounterText,
  type EncounterTextFeatures,
  type SelectionFeatures,
  type SelectionFeaturesInput,
} from './cpu-tasks.js';
import { encodingForModel } from './tokens.js';

/**
 * Texts shorter than this (characters, all of one call's texts together) are computed on the main
 * thread. Measured on ACI-Bench text (2 cores): at 20k characters the transcript's tokens and concepts
 * take ~1 ms and an encounter's features ~5 ms, while a pool task costs ~0.2 ms of round trip plus the
 * copy, and may wait behind a long import's tasks; from ~50k on (~3–40 ms) the event loop would stall
 * for longer than a health check should wait.
 */
export const INLINE_BELOW_CHARS = 20_000;

/**
 * At most this many characters per pool task of one import (~0.7 s of one worker: a 250k-character
 * encounter takes ~80 ms for its features and as much again for an imported note's quality): a large
 * import is a few tasks, and other calls' tasks wait behind one of them at most.
 */
export const BATCH_MAX_CHARS = 1_000_000;

/**
 * The features context selection needs of long texts, computed in the worker pool (short ones inline);
 * the results are the same either way.
 */
export class PooledFeatures {
  constructor(
    private readonly pool: ContextCpuPool,
    private readonly inlineBelowChars = INLINE_BELOW_CHARS,
  ) {}

  /** SelectContext's transcript and SOP token counts, and the transcript's concepts if asked for. */
  async ofSelection(input: SelectionFeaturesInput, bounds: TaskBounds): Promise<SelectionFeatures> {
    // Refused here as a ValidationError: an error from a worker arrives as a plain Error.
    encodingForModel(input.model);
    if (input.transcript.length + input.sopText.length < this.inlineBelowChars) return selectionFeatures(input);
    return this.pool.run('selection_features', input, bounds);
  }

  /** What is stored of one encounter. */
  async ofEncounter(model: string, encounter: { transcript: string; note: string }, bounds: TaskBounds): Promise<EncounterFeatures> {
    const [computed] = await this.ofEncounters(model, [{ transcript: encounter.transcript, note: encounter.note, quality: false }], bounds);
    return computed!.features;
  }

  /**
   * What is stored of one encounter whose transcript's tokens and concepts are known already (from
   * SelectContext): only its note is read here. The same features as `ofEncounter`.
   */
  async ofEncounterWithTranscript(
    model: string,
    encounter: { note: string },
    transcript: { tokenCount: number; conceptIds: number[] },
    bounds: TaskBounds,
  ): Promise<EncounterFeatures> {
    const note = await this.ofEncounter(model, { transcript: '', note: encounter.note }, bounds);
    return { conceptIds: transcript.conceptIds, filledSections: note.filledSections, tokenCount: transcript.tokenCount + note.tokenCount };
  }

  /** What is stored of each encounter, in order; many long ones are split into a few tasks. */
  async ofEncounters(model: string, encounters: EncounterText[], bounds: TaskBounds): Promise<EncounterTextFeatures[]> {
    encodingForModel(model);
    const chars = (e: EncounterText) => e.transcript.length + e.note.length;
    if (encounters.reduce((sum, e) => sum + chars(e), 0) < this.inlineBelowChars) return encounterTextFeatures({ model, encounters });
    const batches = consecutiveBatches(encounters, chars, { minBatches: this.pool.threads, maxBatchSize: BATCH_MAX_CHARS });
    const outputs = await this.pool.runEach('encounter_features', batches.map((batch) => ({ model, encounters: batch })), bounds);
    return outputs.flat();
  }
}
