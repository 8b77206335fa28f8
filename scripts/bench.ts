// `pnpm bench`: figures and ratios for the hot paths. Not a test: numbers are printed, never asserted.
//   selection cost per candidate (1k/10k/100k), embedding cache hit latency and replay hit rate,
//   and end-to-end Extract latency through the four services (offline providers).
//   `pnpm bench load`: sustained load through the gateway (scripts/bench-load.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSelectionBench } from '@clinote/context/bench/selection.bench.js';
import { runCacheBench } from '@clinote/embedding/bench/cache.bench.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { clientCaller } from '@clinote/shared/grpc-client.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { resolveInfra } from './lib/infra.js';
import { startMesh } from './lib/mesh.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2).filter((a) => a !== '--');

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function runExtractBench(): Promise<void> {
  const infra = await resolveInfra(root);
  const db = await createScratchDatabase(infra.databaseUrl, 'clinote_bench');
  const mesh = await startMesh({ databaseUrl: db.url, redisUrl: infra.redisUrl, env: { REDIS_KEY_PREFIX: `clinote:bench:${Date.now()}:`, LOG_LEVEL: 'error' } });
  try {
    const c = mesh.client;
    const call = clientCaller(c, 120_000);
    const train = loadAciBench('train');
    const valid = loadAciBench('valid');
    const { user } = await call(c.createUser, { email: `bench-${Date.now()}@clinote.local`, displayName: 'Bench' });
    const { sop } = await call(c.createSop, { userId: user!.id, name: 'SOAP', sections: SOAP_NOTE_SECTIONS });
    let t = performance.now();
    await call(c.importEncounters, { userId: user!.id, encounters: train.map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })) });
    const importMs = performance.now() - t;
    const phases = new Map<string, number[]>();
    const wall: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const e of valid) {
        t = performance.now();
        const { extraction } = await call(c.extract, { userId: user!.id, transcript: e.src, sopIds: [sop!.id], idempotencyKey: '', referenceNote: '' });
        wall.push(performance.now() - t);
        for (const p of extraction!.phaseTimings) phases.set(p.phase, [...(phases.get(p.phase) ?? []), p.durationMs]);
      }
    }
    // Concurrency: 8 in flight at once.
    t = performance.now();
    await Promise.all(
      valid.slice(0, 16).map((e) => call(c.extract, { userId: user!.id, transcript: e.src, sopIds: [sop!.id], idempotencyKey: '', referenceNote: '' })),
    );
    const concurrentMs = performance.now() - t;
    wall.sort((a, b) => a - b);
    console.log('\n== end-to-end Extract (4 services over gRPC, offline providers, 67 past encounters) ==');
    console.log(`  import of 67 encounters: ${importMs.toFixed(0)} ms (${(importMs / 67).toFixed(1)} ms each, embeddings included)`);
    console.log(`  sequential, ${wall.length} extractions: p50 ${quantile(wall, 0.5).toFixed(1)} ms, p99 ${quantile(wall, 0.99).toFixed(1)} ms`);
    for (const [phase, values] of phases) {
      const s = [...values].sort((a, b) => a - b);
      console.log(`    ${phase.padEnd(34)} p50 ${quantile(s, 0.5).toFixed(2).padStart(7)} ms   p99 ${quantile(s, 0.99).toFixed(2).padStart(7)} ms`);
    }
    console.log(`  16 concurrent extractions: ${concurrentMs.toFixed(0)} ms in all, ${(16_000 / concurrentMs).toFixed(1)} extractions/s (2 cores)`);
  } finally {
    await mesh.stop();
    await db.drop();
    await infra.stop();
  }
}

// `pnpm bench load [...]`: its own options, its own run (scripts/bench-load.ts).
if (only[0] === 'load') {
  const { runLoadBench } = await import('./bench-load.js');
  process.exit(await runLoadBench(only.slice(1)));
}
const all = only.length === 0;
if (all || only.includes('selection')) await runSelectionBench();
if (all || only.includes('cache')) await runCacheBench();
if (all || only.includes('extract')) await runExtractBench();
process.exit(0);
