import { sentenceFeatures } from './features.js';
import type { SectionModel } from './section-model.js';
import { NOTE_SECTIONS, type NoteSection } from './sections.js';
import type { TranscriptSentence } from './transcript.js';
import { tokenize } from './transcript.js';

/** One transcript sentence with its section posterior. */
export interface ScoredSentence {
  sentence: TranscriptSentence;
  /** P(section | sentence) per label of the model. */
  posterior: number[];
  best: string;
  bestP: number;
}

export function scoreSentences(model: SectionModel, sentences: TranscriptSentence[]): ScoredSentence[] {
  return sentences.map((s, i) => {
    const posterior = model.posterior(sentenceFeatures(s, sentences[i - 1], sentences.length));
    // The best note section, ignoring `none`: selection ranks by this section's probability.
    let bi = -1;
    for (let k = 0; k < posterior.length; k++) if (model.labels[k] !== 'none' && (bi < 0 || posterior[k]! > posterior[bi]!)) bi = k;
    return { sentence: s, posterior, best: model.labels[bi]!, bestP: posterior[bi]! };
  });
}

export interface SelectionOptions {
  /** Multiplier on the mean training-note section length. */
  budgetScale: number;
  /** Minimum posterior for a sentence to be considered for a section. */
  minPosterior: number;
  /** Per-section multipliers replacing `budgetScale` (short reference sections are underfilled by the mean). */
  sectionScale?: Partial<Record<NoteSection, number>>;
}

export const DEFAULT_SELECTION: SelectionOptions = { budgetScale: 2.0, minPosterior: 0.1 };

/**
 * Assigns each sentence to at most one note section (its most probable, if above the floor), then
 * keeps per section the most probable sentences up to a word budget, in transcript order.
 */
export function selectSentences(
  model: SectionModel,
  scored: ScoredSentence[],
  options: SelectionOptions = DEFAULT_SELECTION,
): Map<NoteSection, TranscriptSentence[]> {
  const out = new Map<NoteSection, TranscriptSentence[]>();
  for (const section of NOTE_SECTIONS) {
    const li = model.labels.indexOf(section);
    const candidates = scored
      .filter((s) => s.best === section && s.bestP >= options.minPosterior)
      .sort((a, b) => b.posterior[li]! - a.posterior[li]!);
    const budget = Math.max(section === 'chief_complaint' ? 4 : 12, model.sectionWords(section) * (options.sectionScale?.[section] ?? options.budgetScale));
    const chosen: TranscriptSentence[] = [];
    let words = 0;
    for (const c of candidates) {
      if (words >= budget) break;
      chosen.push(c.sentence);
      words += tokenize(c.sentence.text).length;
    }
    out.set(section, chosen.sort((a, b) => a.index - b.index));
  }
  return out;
}
