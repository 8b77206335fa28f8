// Quality benchmark: the full pipeline (four services over gRPC) on every encounter of an ACI-Bench
// format file, past encounters imported from --history, scored with ROUGE against the reference notes,
// next to two baselines scored the same way.
//
//   pnpm eval:aci -- --data ../shared/data/aci-bench/valid.json [--history <train.json>] [--out preds.json]
//                    [--selection weighted|similarity|none|all]
//   pnpm eval:aci -- --mts ../shared/data/mts-dialog/valid.csv [--history <train.csv>]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAciBench, loadMtsDialog, type AciBenchEncounter } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { FieldType, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { clientCaller } from '@clinote/shared/grpc-client.js';
import { noteStyle, RESIDUE_KINDS, residueRate, sumStyles } from '@clinote/shared/note-style.js';
import { numericSupport } from '@clinote/shared/numeric-support.js';
import { meanRouge, rougeScores, type RougeF1 } from '@clinote/shared/rouge.js';
import { canonicalSectionName, noteSections } from '@clinote/context/domain/sections.js';
import { TranscriptIndex } from './lib/baselines.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { resolveInfra } from './lib/infra.js';
import { startMesh, type Mesh } from './lib/mesh.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    data: { type: 'string' },
    history: { type: 'string' },
    out: { type: 'string' },
    mts: { type: 'string' },
    selection: { type: 'string', default: 'weighted' },
    limit: { type: 'string' },
  },
});

interface Case {
  id: string;
  transcript: string;
  reference: string;
  /** The note imported as a past encounter (MTS-Dialog: the section under its title). */
  note: string;
  /** Which SOP extracts it (MTS-Dialog: one SOP per section header); ACI-Bench: the one note SOP. */
  sopKey: string;
}

interface RunResult {
  preds: { file: string; pred: string }[];
  grounded: number;
  values: number;
  numbersSupported: number;
  numbersTotal: number;
  contextSizes: number[];
  ms: number[];
}

const T = 300_000;
const HEADERS = ACI_BENCH_SECTIONS.map((s) => s.title);

function loadAciFile(file: string): AciBenchEncounter[] {
  if (file === 'train' || file === 'valid') return loadAciBench(file);
  return (JSON.parse(readFileSync(file, 'utf8')) as { data: AciBenchEncounter[] }).data;
}

/** MTS-Dialog's section codes as the titles a clinician's SOP would use. */
const MTS_TITLES: Record<string, string> = {
  GENHX: 'History of present illness',
  CC: 'Chief complaint',
  ROS: 'Review of systems',
  EXAM: 'Physical examination',
  MEDICATIONS: 'Medications',
  ALLERGY: 'Allergies',
  'FAM/SOCHX': 'Family and social history',
  PASTMEDICALHX: 'Past medical history',
  PASTSURGICAL: 'Past surgical history',
  GYNHX: 'Gynecologic history',
  OTHER_HISTORY: 'Other history',
  ASSESSMENT: 'Assessment',
  PLAN: 'Plan',
  DIAGNOSIS: 'Diagnosis',
  DISPOSITION: 'Disposition',
  EDCOURSE: 'Emergency department course',
  IMMUNIZATIONS: 'Immunizations',
  LABS: 'Results',
  IMAGING: 'Imaging results',
  PROCEDURES: 'Procedures',
};

/** One single-section SOP per MTS-Dialog header: each dialogue documents one section. */
function mtsSop(header: string): SopSection[] {
  const title = MTS_TITLES[header] ?? header;
  const key = title.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'section';
  return [
    {
      key,
      title: title.toUpperCase(),
      instructions: `The ${title.toLowerCase()} section of the note.`,
      fields: [{ key: 'text', label: title, type: FieldType.FIELD_TYPE_TEXT, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '' }],
    },
  ];
}

async function runPipeline(
  mesh: Mesh,
  sopsByKey: Map<string, SopSection[]>,
  history: Case[],
  cases: Case[],
  label: string,
  sectionOnly: boolean,
): Promise<RunResult> {
  const c = mesh.client;
  const call = clientCaller(c, T);
  const { user } = await call(c.createUser, { email: `eval-${label}-${Date.now()}@clinote.local`, displayName: 'Eval' });
  const sopIds = new Map<string, string>();
  for (const [key, sections] of sopsByKey) {
    const { sop } = await call(c.createSop, { userId: user!.id, name: key, sections });
    sopIds.set(key, sop!.id);
  }
  for (let i = 0; i < history.length; i += 100) {
    await call(c.importEncounters, {
      userId: user!.id,
      encounters: history.slice(i, i + 100).map((h) => ({ transcript: h.transcript, note: h.note, externalId: h.id, qualityScore: undefined })),
    });
  }
  const result: RunResult = { preds: [], grounded: 0, values: 0, numbersSupported: 0, numbersTotal: 0, contextSizes: [], ms: [] };
  for (const [i, kase] of cases.entries()) {
    const started = performance.now();
    const { extraction } = await call(c.extract, {
      userId: user!.id,
      transcript: kase.transcript,
      sopIds: [sopIds.get(kase.sopKey)!],
      idempotencyKey: '',
      referenceNote: kase.reference,
    });
    result.ms.push(performance.now() - started);
    const sopResult = extraction!.results[0]!;
    // MTS-Dialog references are one section's text, without its header.
    const pred = sectionOnly
      ? sopResult.sections.flatMap((sec) => sec.fields.map((f) => (f.items.length > 0 ? f.items.join('\n') : f.text))).join('\n')
      : sopResult.renderedNote;
    result.preds.push({ file: kase.id, pred });
    for (const section of sopResult.sections) {
      for (const field of section.fields) {
        if (!field.text && field.items.length === 0) continue;
        result.values++;
        if (field.grounded) result.grounded++;
      }
    }
    const support = numericSupport(pred, kase.transcript);
    result.numbersSupported += support.supported;
    result.numbersTotal += support.total;
    result.contextSizes.push(extraction!.context.length);
    process.stderr.write(`\r  [${label}] ${i + 1}/${cases.length} ${kase.id}        `);
  }
  process.stderr.write('\n');
  return result;
}

const fmt = (r: RougeF1) => `${r.rouge1.toFixed(2).padStart(6)} ${r.rouge2.toFixed(2).padStart(6)} ${r.rougeL.toFixed(2).padStart(6)}`;
const pct = (a: number, b: number) => (b === 0 ? '   n/a' : `${((100 * a) / b).toFixed(1).padStart(5)} %`);

function support(preds: string[], cases: Case[]) {
  let supported = 0;
  let total = 0;
  preds.forEach((p, i) => {
    const s = numericSupport(p, cases[i]!.transcript);
    supported += s.supported;
    total += s.total;
  });
  return { supported, total };
}

function report(name: string, preds: string[], cases: Case[], extra = ''): RougeF1 {
  const mean = meanRouge(preds.map((p, i) => rougeScores(p, cases[i]!.reference)));
  const s = support(preds, cases);
  const style = sumStyles(preds.map(noteStyle));
  process.stdout.write(
    `  ${name.padEnd(34)} ${fmt(mean)}   numeric support ${pct(s.supported, s.total)} (${s.total} numbers), residue ${residueRate(style).total.toFixed(2)}/1k words, sentences passing ${pct(style.passing, style.sentences)}${extra}\n`,
  );
  return mean;
}

/** Spoken-language residue per 1,000 words by kind, and why sentences fail the note-style check. */
function styleReport(rows: [string, string[]][]): void {
  process.stdout.write(`\n  note style: residue per 1,000 words by kind; sentences passing the check, and failing ones by defect\n`);
  process.stdout.write(`  ${''.padEnd(34)} ${RESIDUE_KINDS.map((k) => k.padStart(15)).join('')}           total   pass\n`);
  for (const [name, preds] of rows) {
    const style = sumStyles(preds.map(noteStyle));
    const rate = residueRate(style);
    process.stdout.write(
      `  ${name.padEnd(34)} ${RESIDUE_KINDS.map((k) => rate.byKind[k].toFixed(2).padStart(15)).join('')} ${rate.total.toFixed(2).padStart(15)} ${pct(style.passing, style.sentences)} of ${style.sentences} sentences (${style.words} words)\n`,
    );
    const failing = Object.entries(style.defects).filter(([, n]) => n > 0);
    if (failing.length > 0) process.stdout.write(`  ${''.padEnd(34)} failing: ${failing.map(([d, n]) => `${d} ${n}`).join(', ')}\n`);
  }
}

async function main(): Promise<void> {
  const mts = args.mts;
  let cases: Case[];
  let history: Case[];
  const sopsByKey = new Map<string, SopSection[]>();
  if (mts) {
    const pairs = loadMtsDialog(mts);
    const hist = loadMtsDialog(args.history ?? 'train');
    cases = pairs.map((p) => ({ id: p.id, transcript: p.dialogue, reference: p.sectionText, note: p.sectionText, sopKey: p.sectionHeader }));
    history = hist.map((p) => ({
      id: p.id,
      transcript: p.dialogue,
      reference: p.sectionText,
      note: `${(MTS_TITLES[p.sectionHeader] ?? p.sectionHeader).toUpperCase()}\n\n${p.sectionText}`,
      sopKey: p.sectionHeader,
    }));
    for (const p of pairs) sopsByKey.set(p.sectionHeader, mtsSop(p.sectionHeader));
  } else {
    const data = loadAciFile(args.data ?? 'valid');
    cases = data.map((e) => ({ id: e.file, transcript: e.src, reference: e.tgt, note: e.tgt, sopKey: 'aci' }));
    history = loadAciFile(args.history ?? 'train').map((e) => ({ id: e.file, transcript: e.src, reference: e.tgt, note: e.tgt, sopKey: 'aci' }));
    sopsByKey.set('aci', ACI_BENCH_SECTIONS);
  }
  if (args.limit) cases = cases.slice(0, Number(args.limit));
  const modes = args.selection === 'all' ? ['weighted', 'similarity', 'none'] : [args.selection ?? 'weighted'];

  const infra = await resolveInfra(root);
  const db = await createScratchDatabase(infra.databaseUrl, 'clinote_eval');
  process.stdout.write(`clinote quality benchmark: ${cases.length} encounters, ${history.length} past encounters\n`);
  process.stdout.write(`  ${infra.postgresLabel}; ${infra.redisLabel}\n`);
  const runs = new Map<string, RunResult>();
  try {
    for (const mode of modes) {
      const mesh = await startMesh({
        databaseUrl: db.url,
        redisUrl: infra.redisUrl,
        env: { CONTEXT_SELECTION_MODE: mode, REDIS_KEY_PREFIX: `clinote:eval:${Date.now()}:`, LOG_LEVEL: 'error' },
      });
      try {
        runs.set(mode, await runPipeline(mesh, sopsByKey, history, cases, mode, Boolean(mts)));
      } finally {
        await mesh.stop();
      }
    }
  } finally {
    await db.drop();
    await infra.stop();
  }

  const main = runs.get(modes[0]!)!;
  if (args.out) {
    writeFileSync(args.out, JSON.stringify({ data: main.preds }, null, 2));
    process.stdout.write(`  predictions written to ${args.out}\n`);
  }
  process.stdout.write(`\n  ${'ROUGE F1 x100'.padEnd(34)}     R1     R2     RL\n`);
  const index = new TranscriptIndex(history.map((h) => h.transcript));
  report('baseline: whole transcript', cases.map((c) => c.transcript), cases);
  report('baseline: nearest past note (TF-IDF)', cases.map((c) => history[index.nearest(c.transcript)]!.reference), cases);
  report('reference notes themselves', cases.map((c) => c.reference), cases);
  for (const [mode, run] of runs) {
    const p50 = [...run.ms].sort((a, b) => a - b)[Math.floor(run.ms.length / 2)] ?? 0;
    const ctx = run.contextSizes.reduce((a, b) => a + b, 0) / Math.max(1, run.contextSizes.length);
    report(
      `clinote (${mode} selection)`,
      run.preds.map((p) => p.pred),
      cases,
      `, grounding ${pct(run.grounded, run.values)} of ${run.values} values, ${ctx.toFixed(1)} examples, p50 ${p50.toFixed(0)} ms`,
    );
  }
  styleReport([['reference notes', cases.map((c) => c.reference)], ...[...runs].map(([mode, run]): [string, string[]] => [`clinote (${mode} selection)`, run.preds.map((p) => p.pred)])]);
  if (!mts) {
    process.stdout.write(`\n  per section (${modes[0]} selection; encounters whose reference has the section)\n`);
    for (const header of HEADERS) {
      const key = canonicalSectionName(header);
      const scores: RougeF1[] = [];
      main.preds.forEach((p, i) => {
        const ref = referenceSection(noteSections(cases[i]!.reference), key);
        if (!ref) return;
        scores.push(rougeScores(noteSections(p.pred).get(key) ?? '', ref));
      });
      if (scores.length > 0) process.stdout.write(`  ${header.padEnd(34)} ${fmt(meanRouge(scores))}   (n=${scores.length})\n`);
    }
  }
}

/** A reference's text for one SOP section; references often split ASSESSMENT AND PLAN in two. */
function referenceSection(sections: Map<string, string>, key: string): string | undefined {
  const direct = sections.get(key);
  if (direct || key !== 'assessment and plan') return direct;
  const parts = [sections.get('assessment'), sections.get('plan')].filter(Boolean);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`eval failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
