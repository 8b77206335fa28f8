// Developer harness for the offline extractor: scores it on ACI-Bench valid.json against the
// reference notes, next to the whole-transcript and copied-nearest-note baselines.
// Usage: pnpm tsx scripts/dev-offline-quality.ts [--data valid] [--budget 1.0] [--min-p 0.35] [--show N]
//        [--soap N | --soap D2N068,D2N070]: print the demo SOAP note's structured result for those encounters instead.
//        [--mts valid|train [--show]]: MTS-Dialog single-section mode instead.
import { writeFileSync } from 'node:fs';
import type { ContextExample } from '../packages/shared/src/gen/clinote/common/v1/common.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '../packages/shared/src/fixtures/sops.js';
import * as mtsData from '../packages/shared/src/fixtures/datasets.js';
import { loadAciBench, type AciBenchEncounter } from '../packages/shared/src/fixtures/datasets.js';
import { FieldType } from '../packages/shared/src/gen/clinote/common/v1/common.js';
import { numericSupport } from '../packages/shared/src/numeric-support.js';
import { meanRouge, rougeScores, rougeTokens, type RougeF1 } from '../packages/shared/src/rouge.js';
import { splitNote } from '../services/extraction/src/domain/offline/sections.js';
import { canonicalSectionName, noteSections } from '../services/context/src/domain/sections.js';
import { extractOffline } from '../services/extraction/src/domain/offline-extractor.js';
import { DEFAULT_SELECTION } from '../services/extraction/src/domain/offline/select.js';
import { contentTokens } from '../services/extraction/src/domain/offline/transcript.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** TF-IDF (log tf, smoothed idf) vectors over transcripts, for the nearest-neighbour examples. */
function tfidfIndex(docs: string[]): (text: string) => Map<string, number> {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(contentTokens(d))) df.set(t, (df.get(t) ?? 0) + 1);
  return (text) => {
    const tf = new Map<string, number>();
    for (const t of contentTokens(text)) tf.set(t, (tf.get(t) ?? 0) + 1);
    const v = new Map<string, number>();
    let norm = 0;
    for (const [t, c] of tf) {
      const w = (1 + Math.log(c)) * Math.log((1 + docs.length) / (1 + (df.get(t) ?? 0)));
      v.set(t, w);
      norm += w * w;
    }
    for (const [t, w] of v) v.set(t, w / Math.sqrt(norm || 1));
    return v;
  };
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let s = 0;
  for (const [t, w] of a) s += w * (b.get(t) ?? 0);
  return s;
}

const history = loadAciBench('train');
const data = loadAciBench(arg('data', 'valid'));
const vec = tfidfIndex(history.map((h) => h.src));
const historyVecs = history.map((h) => vec(h.src));
const selection = { budgetScale: Number(arg('budget', String(DEFAULT_SELECTION.budgetScale))), minPosterior: Number(arg('min-p', String(DEFAULT_SELECTION.minPosterior))),
  // --scale results=3,history=2.5: per-section budget multipliers.
  sectionScale: { ...DEFAULT_SELECTION.sectionScale, ...Object.fromEntries(arg('scale', '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])) },
};

function nearest(e: AciBenchEncounter, k: number): ContextExample[] {
  const v = vec(e.src);
  return historyVecs
    .map((hv, i) => ({ i, s: cosine(v, hv) }))
    .filter(({ i }) => history[i]!.file !== e.file)
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map(({ i }) => ({ encounterId: history[i]!.file, transcript: history[i]!.src, note: history[i]!.tgt }));
}

const scores: Record<string, { rouge: RougeF1[]; numbers: [number, number]; words: number; p: number; r: number }> = {};
/** Unigram precision and recall (stemmed), to tell a too-long note from a too-short one. */
function unigramPR(pred: string, ref: string): [number, number] {
  const counts = new Map<string, number>();
  for (const t of rougeTokens(ref)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const p = rougeTokens(pred);
  let hit = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      hit++;
      counts.set(t, c - 1);
    }
  }
  return [hit / Math.max(1, p.length), hit / Math.max(1, rougeTokens(ref).length)];
}
// Per-section ROUGE-1 of the offline note against the reference's same section.
const perSection = new Map<string, number[]>();
// The same by the SOP's own headers, as eval:aci reports it (encounters whose reference has the section).
const perHeader = new Map<string, number[]>();
function recordHeaders(pred: string, ref: string): void {
  const refs = noteSections(ref);
  const preds = noteSections(pred);
  for (const header of ACI_BENCH_SECTIONS.map((s) => s.title)) {
    const key = canonicalSectionName(header);
    const parts = key === 'assessment and plan' && !refs.get(key) ? [refs.get('assessment'), refs.get('plan')].filter(Boolean) : [refs.get(key)].filter(Boolean);
    if (parts.length === 0) continue;
    const list = perHeader.get(header) ?? [];
    list.push(rougeScores(preds.get(key) ?? '', parts.join('\n\n')).rouge1);
    perHeader.set(header, list);
  }
}
function recordSections(pred: string, ref: string): void {
  const predBlocks = splitNote(pred);
  const refBlocks = splitNote(ref);
  const sections = new Set([...predBlocks, ...refBlocks].map((b) => b.section));
  for (const section of sections) {
    const text = (blocks: typeof predBlocks) => blocks.filter((b) => b.section === section).map((b) => b.body).join('\n');
    const list = perSection.get(section) ?? [];
    list.push(rougeScores(text(predBlocks), text(refBlocks)).rouge1);
    perSection.set(section, list);
  }
}
function record(name: string, pred: string, e: AciBenchEncounter): void {
  const s = (scores[name] ??= { rouge: [], numbers: [0, 0], words: 0, p: 0, r: 0 });
  s.rouge.push(rougeScores(pred, e.tgt));
  const [p, r] = unigramPR(pred, e.tgt);
  s.p += p;
  s.r += r;
  s.words += rougeTokens(pred).length;
  const n = numericSupport(pred, e.src);
  s.numbers[0] += n.supported;
  s.numbers[1] += n.total;
}

/** The demo's SOAP note for a few encounters, as `pnpm start` prints it (one past note as context). */
function printSoap(which: string): void {
  const wanted = /^\d+$/.test(which) ? data.slice(0, Number(which)) : data.filter((e) => which.split(',').some((w) => e.file.startsWith(w)));
  const sop = { id: 'soap', userId: 'dev', name: 'SOAP note', version: 1, active: true, sections: SOAP_NOTE_SECTIONS };
  for (const e of wanted) {
    const t0 = performance.now();
    const result = extractOffline({ transcript: e.src, sop, examples: nearest(e, Number(arg('k', '1'))) });
    console.log(`=== ${e.file} (${(performance.now() - t0).toFixed(0)} ms)`);
    for (const section of result.sections) {
      console.log(`[${section.title}]`);
      for (const f of section.fields) {
        const value = f.items.length > 0 ? f.items.map((i) => `\n      - ${i}`).join('') : f.text || '(not found)';
        console.log(`  ${f.key}:${f.items.length > 0 ? '' : ' '}${value}${f.text || f.items.length > 0 ? (f.grounded ? '' : ' [UNGROUNDED]') : ''}`);
      }
    }
    console.log();
  }
}
/**
 * --mts train|valid: MTS-Dialog single-section mode as eval:aci runs it (one one-field SOP per header,
 * the nearest past dialogue of the same header as the example), scored against the section text.
 */
function runMts(which: string): void {
  const { loadMtsDialog } = mtsData;
  const past = loadMtsDialog('train');
  const cases = loadMtsDialog(which);
  const mtsVec = tfidfIndex(past.map((p) => p.dialogue));
  const pastVecs = past.map((p) => mtsVec(p.dialogue));
  const rouge: RougeF1[] = [];
  let words = 0;
  for (const c of cases) {
    const v = mtsVec(c.dialogue);
    const best = past
      .map((p, i) => ({ p, s: p.sectionHeader === c.sectionHeader && !(which === 'train' && p.id === c.id) ? cosine(v, pastVecs[i]!) : -1 }))
      .sort((a, b) => b.s - a.s)[0]!.p;
    const title = MTS_TITLES[c.sectionHeader] ?? c.sectionHeader;
    const sections = [{ key: 'section', title: title.toUpperCase(), instructions: '', fields: [{ key: 'text', label: title, type: FieldType.FIELD_TYPE_TEXT, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' }] }];
    const sop = { id: 'mts', userId: 'dev', name: c.sectionHeader, version: 1, active: true, sections };
    const result = extractOffline({ transcript: c.dialogue, sop, examples: [{ encounterId: best.id, transcript: best.dialogue, note: `${title.toUpperCase()}\n\n${best.sectionText}` }] });
    const pred = result.sections.flatMap((sec) => sec.fields.map((f) => (f.items.length > 0 ? f.items.join('\n') : f.text))).join('\n');
    rouge.push(rougeScores(pred, c.sectionText));
    words += rougeTokens(pred).length;
    if (process.argv.includes('--show')) console.log(`--- ${c.id} ${c.sectionHeader}\n${pred}\n>>> ${c.sectionText}\n`);
  }
  const m = meanRouge(rouge);
  console.log(`MTS ${which}: R1 ${m.rouge1.toFixed(2)}  R2 ${m.rouge2.toFixed(2)}  RL ${m.rougeL.toFixed(2)}  words ${(words / cases.length).toFixed(0)}`);
}
// eval:aci's titles of MTS-Dialog's section codes.
const MTS_TITLES: Record<string, string> = {
  GENHX: 'History of present illness', CC: 'Chief complaint', ROS: 'Review of systems', EXAM: 'Physical examination', MEDICATIONS: 'Medications',
  ALLERGY: 'Allergies', 'FAM/SOCHX': 'Family and social history', PASTMEDICALHX: 'Past medical history', PASTSURGICAL: 'Past surgical history',
  GYNHX: 'Gynecologic history', OTHER_HISTORY: 'Other history', ASSESSMENT: 'Assessment', PLAN: 'Plan', DIAGNOSIS: 'Diagnosis', DISPOSITION: 'Disposition',
  EDCOURSE: 'Emergency department course', IMMUNIZATIONS: 'Immunizations', LABS: 'Results', IMAGING: 'Imaging results', PROCEDURES: 'Procedures',
};
if (process.argv.includes('--mts')) {
  runMts(arg('mts', 'valid'));
  process.exit(0);
}

if (process.argv.includes('--soap')) {
  printSoap(arg('soap', '3'));
  process.exit(0);
}

let values = 0;
let grounded = 0;
let slowest = 0;
const show = Number(arg('show', '0'));
// --drop key,key: leave SOP sections out, to measure what each adds.
const dropped = new Set(arg('drop', '').split(',').filter(Boolean));
const layout = arg('layout', 'on') === 'on';
// --dump <dir>: one rendered note per encounter, to diff two variants of the extractor.
const dump = arg('dump', '');
data.forEach((e, idx) => {
  const examples = nearest(e, Number(arg('k', '3')));
  record('whole transcript', e.src, e);
  record('nearest note copy', examples[0]!.note, e);
  const sop = { id: 'aci', userId: 'dev', name: 'ACI-Bench', version: 1, active: true, sections: ACI_BENCH_SECTIONS.filter((s) => !dropped.has(s.key)) };
  const t0 = performance.now();
  const result = extractOffline({ transcript: e.src, sop, examples }, { selection, partsFromLayout: layout });
  slowest = Math.max(slowest, performance.now() - t0);
  record('offline', result.renderedNote, e);
  recordSections(result.renderedNote, e.tgt);
  recordHeaders(result.renderedNote, e.tgt);
  for (const s of result.sections)
    for (const f of s.fields) {
      if (!f.text && f.items.length === 0 && f.number === undefined) continue;
      values++;
      if (f.grounded && f.evidence.every((sp) => sp.start >= 0 && sp.end <= e.src.length && sp.start < sp.end)) grounded++;
    }
  if (dump) writeFileSync(`${dump}/${e.file}.txt`, result.renderedNote);
  if (idx < show) console.log(`--- ${e.file}\n${result.renderedNote}\n`);
});

for (const [name, s] of Object.entries(scores)) {
  const m = meanRouge(s.rouge);
  console.log(
    `${name.padEnd(18)} R1 ${m.rouge1.toFixed(2)}  R2 ${m.rouge2.toFixed(2)}  RL ${m.rougeL.toFixed(2)}  numeric support ${((100 * s.numbers[0]) / Math.max(1, s.numbers[1])).toFixed(1)}% (${s.numbers[1]} numbers)  P ${((100 * s.p) / s.rouge.length).toFixed(1)} R ${((100 * s.r) / s.rouge.length).toFixed(1)} words ${(s.words / s.rouge.length).toFixed(0)}`,
  );
}
console.log(
  'offline R1 by section: ' +
    [...perSection].map(([k, v]) => `${k} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)} (n=${v.length})`).join(', '),
);
console.log(
  'offline R1 by SOP header: ' +
    [...perHeader].map(([k, v]) => `${k} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)} (n=${v.length})`).join(', '),
);
console.log(`grounding ${((100 * grounded) / Math.max(1, values)).toFixed(1)}% of ${values} values; slowest extraction ${slowest.toFixed(1)} ms`);
