import { readFileSync } from 'node:fs';
import { SECTION_LABELS, type SectionLabel } from './sections.js';

/** A multinomial naive Bayes turn-sentence → note-section model, learned by scripts/train-section-model.ts. */
export interface SectionModelData {
  version: number;
  labels: SectionLabel[];
  /** log P(label) */
  prior: number[];
  /** log P(feature | label), per label, for features kept in training. */
  features: Record<string, number[]>;
  /** log P(unseen feature | label) */
  unseen: number[];
  /** Mean words per section in the training notes; the selection budget. */
  sectionWords: Record<string, number>;
}

export class SectionModel {
  private constructor(private readonly data: SectionModelData) {}

  static fromData(data: SectionModelData): SectionModel {
    if (data.labels.length !== data.prior.length) throw new TypeError('section model: labels and prior differ in length');
    return new SectionModel(data);
  }

  get labels(): readonly SectionLabel[] {
    return this.data.labels;
  }

  sectionWords(label: string): number {
    return this.data.sectionWords[label] ?? 0;
  }

  /** Posterior P(label | features), in `labels` order. */
  posterior(features: string[]): number[] {
    const scores = [...this.data.prior];
    for (const f of features) {
      const lp = this.data.features[f];
      if (!lp) continue; // unseen in training: carries no evidence for any label
      for (let i = 0; i < scores.length; i++) scores[i]! += lp[i]!;
    }
    const max = Math.max(...scores);
    const exp = scores.map((s) => Math.exp(s - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  }
}

let bundled: SectionModel | undefined;

/** The committed model file beside this module, read once. */
export function bundledSectionModel(): SectionModel {
  if (!bundled) {
    const raw = readFileSync(new URL('./section-model.json', import.meta.url), 'utf8');
    const data = JSON.parse(raw) as SectionModelData;
    if (data.labels.some((l) => !SECTION_LABELS.includes(l))) throw new TypeError('section model: unknown label');
    bundled = SectionModel.fromData(data);
  }
  return bundled;
}
