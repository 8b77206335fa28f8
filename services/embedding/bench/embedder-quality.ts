// Does the offline embedder rank clinically similar encounters close? Two checks on ACI-Bench:
// (1) agreement with an exact, unhashed TF-IDF cosine over the full transcripts: for each valid
//     encounter, is the embedding's nearest train encounter among TF-IDF's top k?
// (2) chief complaints: does the nearest train encounter share a chief-complaint word ("knee",
//     "back", "labs")? Compared with the same figure for TF-IDF and for a random pick.
// Run: npx tsx services/embedding/bench/embedder-quality.ts
import { pathToFileURL } from 'node:url';
import { cosine } from '../src/domain/embedder.js';
import { OfflineEmbedder } from '../src/domain/offline-embedder.js';
import { contentWords, stemWord } from '../src/domain/text-features.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { chiefComplaint } from './shared-data.js';

export interface EmbedderQuality {
  validEncounters: number;
  nearestInTfidfTop1: number;
  nearestInTfidfTop3: number;
  nearestInTfidfTop5: number;
  chiefComplaintMatchEmbedding: number;
  chiefComplaintMatchEmbeddingTop3: number;
  chiefComplaintMatchTfidf: number;
  chiefComplaintMatchRandom: number;
}

function tfidfVectors(docs: string[], corpus: string[]): Map<string, number>[] {
  const tokenize = (t: string): string[] => t.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const df = new Map<string, number>();
  for (const doc of corpus) for (const w of new Set(tokenize(doc))) df.set(w, (df.get(w) ?? 0) + 1);
  const n = corpus.length;
  return docs.map((doc) => {
    const tf = new Map<string, number>();
    for (const w of tokenize(doc)) tf.set(w, (tf.get(w) ?? 0) + 1);
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, c] of tf) {
      const x = c * (Math.log((1 + n) / (1 + (df.get(w) ?? 0))) + 1);
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
}

function sparseCosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  for (const [w, x] of a) dot += x * (b.get(w) ?? 0);
  return dot;
}

// Words that say nothing about which complaint it is (laterality, "pain", "follow-up").
const GENERIC_COMPLAINT_WORDS = new Set(['pain', 'follow', 'up', 'evalu', 'visit', 'right', 'left', 'side', 'bilater']);
function complaintStems(note: string): Set<string> {
  const complaint = chiefComplaint(note) ?? '';
  return new Set(contentWords(complaint).map(stemWord).filter((s) => !GENERIC_COMPLAINT_WORDS.has(s)));
}
const overlaps = (a: Set<string>, b: Set<string>): boolean => [...a].some((s) => b.has(s));

export function measureEmbedderQuality(): EmbedderQuality {
  const train = loadAciBench('train');
  const valid = loadAciBench('valid');
  const embedder = new OfflineEmbedder();
  const trainVec = train.map((e) => embedder.embedOne(e.src));
  const trainTfidf = tfidfVectors(
    train.map((e) => e.src),
    train.map((e) => e.src),
  );
  const validTfidf = tfidfVectors(
    valid.map((e) => e.src),
    train.map((e) => e.src),
  );
  const trainComplaints = train.map((e) => complaintStems(e.tgt));

  let top1 = 0;
  let top3 = 0;
  let top5 = 0;
  let ccEmbedding = 0;
  let ccEmbeddingTop3 = 0;
  let ccTfidf = 0;
  let ccRandom = 0;
  let withComplaint = 0;
  valid.forEach((encounter, i) => {
    const v = embedder.embedOne(encounter.src);
    const byEmbedding = trainVec.map((t, j) => ({ j, s: cosine(v, t) })).sort((a, b) => b.s - a.s);
    const byTfidf = trainTfidf.map((t, j) => ({ j, s: sparseCosine(validTfidf[i]!, t) })).sort((a, b) => b.s - a.s);
    const nearest = byEmbedding[0]!.j;
    const rank = byTfidf.findIndex((x) => x.j === nearest);
    if (rank < 1) top1++;
    if (rank < 3) top3++;
    if (rank < 5) top5++;

    const complaint = complaintStems(encounter.tgt);
    const candidates = trainComplaints.filter((c) => c.size > 0);
    if (complaint.size === 0 || candidates.length === 0) return;
    withComplaint++;
    if (overlaps(complaint, trainComplaints[nearest]!)) ccEmbedding++;
    if (byEmbedding.slice(0, 3).some((x) => overlaps(complaint, trainComplaints[x.j]!))) ccEmbeddingTop3++;
    if (overlaps(complaint, trainComplaints[byTfidf[0]!.j]!)) ccTfidf++;
    ccRandom += candidates.filter((c) => overlaps(complaint, c)).length / candidates.length;
  });
  const share = (x: number, n: number): number => Math.round((x / Math.max(1, n)) * 1000) / 1000;
  return {
    validEncounters: valid.length,
    nearestInTfidfTop1: share(top1, valid.length),
    nearestInTfidfTop3: share(top3, valid.length),
    nearestInTfidfTop5: share(top5, valid.length),
    chiefComplaintMatchEmbedding: share(ccEmbedding, withComplaint),
    chiefComplaintMatchEmbeddingTop3: share(ccEmbeddingTop3, withComplaint),
    chiefComplaintMatchTfidf: share(ccTfidf, withComplaint),
    chiefComplaintMatchRandom: share(ccRandom, withComplaint),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(measureEmbedderQuality(), null, 2));
}
