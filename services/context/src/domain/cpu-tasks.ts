// The CPU-heavy work the context service runs in its worker pool (cpu-pool.ts) on long texts:
// tokenising, concept extraction, note sections and numeric support. Pure functions of plain inputs,
// so a pooled result equals the inline one. This module is the pool's task module: compiled, the
// worker entry itself; from the sources the shared tsx shim loads it.
import type { TaskMessage } from '@clinote/shared/cpu-pool.js';
import { conceptIdsFor } from '@clinote/shared/clinical-lexicon/concepts.js';
import { encounterFeatures, importedNoteQuality, type EncounterFeatures } from '../candidates.js';
import { countTokens } from './tokens.js';

export interface SelectionFeaturesInput {
  /** The tokenizer's model. */
  model: string;
  transcript: string;
  /** The SOP text the prompt carries (selection.ts sopPromptText). */
  sopText: string;
  /** Whether selection will score candidates, and so needs the transcript's concepts. */
  concepts: boolean;
}

export interface SelectionFeatures {
  transcriptTokens: number;
  sopTokens: number;
  /** Sorted, unique; present when asked for. */
  conceptIds?: Uint32Array;
}

export interface EncounterText {
  transcript: string;
  note: string;
  /** Also score the note against its transcript (an import that gives no quality score). */
  quality: boolean;
}

export interface EncounterTextFeatures {
  features: EncounterFeatures;
  quality?: number;
}

export interface EncounterFeaturesInput {
  model: string;
  encounters: EncounterText[];
}

/** Each task kind with what it takes and what it returns. */
export interface ContextCpuTasks {
  /** What SelectContext needs of its transcript and SOPs. */
  selection_features: { input: SelectionFeaturesInput; output: SelectionFeatures };
  /** What SaveEncounter and ImportEncounters store of each encounter, for a batch of them. */
  encounter_features: { input: EncounterFeaturesInput; output: EncounterTextFeatures[] };
}

export function selectionFeatures(input: SelectionFeaturesInput): SelectionFeatures {
  return {
    transcriptTokens: countTokens(input.model, input.transcript),
    sopTokens: countTokens(input.model, input.sopText),
    ...(input.concepts ? { conceptIds: conceptIdsFor(input.transcript) } : {}),
  };
}

export function encounterTextFeatures({ model, encounters }: EncounterFeaturesInput): EncounterTextFeatures[] {
  return encounters.map((e) => ({
    features: encounterFeatures(e.transcript, e.note, model),
    ...(e.quality ? { quality: importedNoteQuality(e.transcript, e.note) } : {}),
  }));
}

/** Runs one task. No bounds here: the pool abandons a task past its deadline by ending its worker. */
export default function runContextCpuTask(task: TaskMessage<ContextCpuTasks>): ContextCpuTasks[keyof ContextCpuTasks]['output'] {
  switch (task.kind) {
    case 'selection_features':
      return selectionFeatures(task.input);
    case 'encounter_features':
      return encounterTextFeatures(task.input);
  }
}
