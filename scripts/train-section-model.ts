// Learns the offline extractor's sentence → note-section classifier from ACI-Bench train.json only
// (never valid.json). Labels come from aligning each transcript sentence to the reference note
// sentence that best covers its content words; the model is multinomial naive Bayes.
// Usage: pnpm tsx scripts/train-section-model.ts [--out path]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAciBench } from '../packages/shared/src/fixtures/datasets.js';
import { sentenceFeatures, stems } from '../services/extraction/src/domain/offline/features.js';
import type { SectionModelData } from '../services/extraction/src/domain/offline/section-model.js';
import { SECTION_LABELS, splitNote, type SectionLabel } from '../services/extraction/src/domain/offline/sections.js';
import { parseTranscript, tokenize } from '../services/extraction/src/domain/offline/transcript.js';

const MIN_FEATURE_COUNT = 3;
const ALPHA = 0.5;
const ALIGN_MIN_RECALL = 0.5;

const outArg = process.argv.indexOf('--out');
const out =
  outArg > 0 && process.argv[outArg + 1]
    ? process.argv[outArg + 1]!
    : fileURLToPath(new URL('../services/extraction/src/domain/offline/section-model.json', import.meta.url));

/** Labels each transcript sentence with the section of the note sentence that covers it best. */
export function alignLabels(src: string, tgt: string): { features: string[]; label: SectionLabel }[] {
  const noteSentences = splitNote(tgt).flatMap((b) =>
    b.body
      .split(/(?<=[.?!])\s+|\n+/)
      .map((t) => ({ section: b.section, stems: new Set(stems(t)) }))
      .filter((n) => n.stems.size > 0),
  );
  const { sentences } = parseTranscript(src);
  return sentences.map((s, i) => {
    const own = new Set(stems(s.text));
    let best: SectionLabel = 'none';
    let bestScore = 0;
    if (own.size >= 2) {
      for (const n of noteSentences) {
        let hit = 0;
        for (const w of own) if (n.stems.has(w)) hit++;
        const recall = hit / own.size;
        if (hit >= 2 && recall >= ALIGN_MIN_RECALL && recall > bestScore) {
          bestScore = recall;
          best = n.section;
        }
      }
    }
    return { features: sentenceFeatures(s, sentences[i - 1], sentences.length), label: best };
  });
}

function train(): SectionModelData {
  const encounters = loadAciBench('train');
  const labels = [...SECTION_LABELS];
  const docCount = labels.map(() => 0);
  const featureCount = new Map<string, number[]>();
  const totals = labels.map(() => 0);
  const sectionWords: Record<string, number[]> = {};
  for (const e of encounters) {
    for (const row of alignLabels(e.src, e.tgt)) {
      const li = labels.indexOf(row.label);
      docCount[li]!++;
      for (const f of row.features) {
        let c = featureCount.get(f);
        if (!c) featureCount.set(f, (c = labels.map(() => 0)));
        c[li]!++;
        totals[li]!++;
      }
    }
    const perSection: Record<string, number> = {};
    for (const b of splitNote(e.tgt)) perSection[b.section] = (perSection[b.section] ?? 0) + tokenize(b.body).length;
    for (const [k, v] of Object.entries(perSection)) (sectionWords[k] ??= []).push(v);
  }
  const kept = [...featureCount].filter(([, c]) => c.reduce((a, b) => a + b, 0) >= MIN_FEATURE_COUNT);
  const v = kept.length + 1;
  const denom = totals.map((t) => Math.log(t + ALPHA * v));
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const features: Record<string, number[]> = {};
  for (const [f, c] of kept.sort(([a], [b]) => a.localeCompare(b))) features[f] = c.map((n, i) => round(Math.log(n + ALPHA) - denom[i]!));
  const nDocs = docCount.reduce((a, b) => a + b, 0);
  return {
    version: 1,
    labels,
    prior: docCount.map((d) => round(Math.log((d + 1) / (nDocs + labels.length)))),
    features,
    unseen: denom.map((d) => round(Math.log(ALPHA) - d)),
    // Mean over all training notes (a missing section counts as 0 words).
    sectionWords: Object.fromEntries(
      Object.entries(sectionWords).map(([k, xs]) => [k, Math.round(xs.reduce((a, b) => a + b, 0) / encounters.length)]),
    ),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const model = train();
  const json = JSON.stringify(model);
  writeFileSync(out, json + '\n');
  console.log(`section model: ${Object.keys(model.features).length} features, ${(json.length / 1024).toFixed(0)} KiB -> ${out}`);
  console.log('section words', model.sectionWords, 'prior', model.prior.map((p) => Math.exp(p).toFixed(3)).join(' '));
}
