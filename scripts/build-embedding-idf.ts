// Builds the IDF table of the offline embedder from the shared TRAINING texts only (ACI-Bench
// train transcripts + MTS-Dialog train dialogues; never the valid sets), so evaluation stays honest.
// Reproducible: same data in, byte-identical JSON out. Run: npx tsx scripts/build-embedding-idf.ts
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAciBench, loadMtsDialog } from '@clinote/shared/fixtures/datasets.js';
import { contentWords, stemWord } from '../services/embedding/src/domain/text-features.js';

const OUT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../services/embedding/src/domain/offline-embedder-idf.json',
);
const MIN_DF = 2; // rarer terms fall back to defaultIdf, which keeps the table small

const documents = [...loadAciBench('train').map((e) => e.src), ...loadMtsDialog('train').map((p) => p.dialogue)];
const df = new Map<string, number>();
for (const text of documents) {
  for (const stem of new Set(contentWords(text).map(stemWord))) df.set(stem, (df.get(stem) ?? 0) + 1);
}

const n = documents.length;
// Smoothed IDF as in scikit-learn: ln((1 + n) / (1 + df)) + 1.
const idfOf = (count: number): number => Math.round((Math.log((1 + n) / (1 + count)) + 1) * 1000) / 1000;
const idf: Record<string, number> = {};
for (const [stem, count] of [...df.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
  if (count >= MIN_DF) idf[stem] = idfOf(count);
}
const body = { source: 'aci-bench/train.json src + mts-dialog/train.csv dialogue', documents: n, minDf: MIN_DF, defaultIdf: idfOf(1), idf };
const version = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
writeFileSync(OUT, `${JSON.stringify({ version, ...body })}\n`);
console.log(`wrote ${Object.keys(idf).length} terms from ${n} training documents to ${OUT} (version ${version})`);
