/**
 * Memory of a warm candidate pool: 10,000 encounters × 1,536 dimensions (goal: ≤ 200 MB RSS for the
 * whole pool), built the way a load builds it (packed float32 bytes -> unpackVector -> pool), plus
 * the cost of node-postgres's bytea decoding at that size: hex text (its default) against the
 * binary protocol, over a live connection when DATABASE_URL is set, else in memory only.
 *
 * Run: `npx tsx --expose-gc services/context/bench/pool-memory.bench.ts` (DATABASE_URL optional).
 */
import pg from 'pg';
import { CandidatePool } from '../src/domain/candidate-pool.js';
import { packVector, unpackVector } from '../src/domain/encounter-mapping.js';
import { record, seededRandom, unitVector } from '../src/domain/test-fixtures.js';

const COUNT = 10_000;
const DIMENSION = 1_536;

const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
const collect = () => (globalThis as { gc?: () => void }).gc?.();
function rss(): number {
  collect();
  collect();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const random = seededRandom(1536);
  const before = rss();
  const pool = new CandidatePool(DIMENSION, COUNT);
  const built = performance.now();
  for (let i = 0; i < COUNT; i++) {
    // What a load hands the pool: a row's packed vector, unpacked.
    const bytes = packVector(Array.from(unitVector(DIMENSION, random)));
    pool.upsert(record(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, unpackVector(bytes), { conceptIds: [1, 2, 3, 5, 8, 13, 21, 34], filledSections: ['HPI', 'ASSESSMENT AND PLAN'] }));
  }
  const buildMs = performance.now() - built;
  const after = rss();
  const vectors = COUNT * DIMENSION * 4;
  console.log(
    `pool ${COUNT} × ${DIMENSION}: RSS +${mb(after - before)} MB (process ${mb(after)} MB), byteSize ${mb(pool.byteSize)} MB, ` +
      `vectors alone ${mb(vectors)} MB (${((after - before) / COUNT / 1024).toFixed(1)} KiB per encounter vs ${(DIMENSION * 4 / 1024).toFixed(1)} KiB), built in ${buildMs.toFixed(0)} ms`,
  );
  const query = unitVector(DIMENSION, random);
  const scan = performance.now();
  pool.topBySimilarity(query, 20);
  console.log(`one scan of the pool: ${(performance.now() - scan).toFixed(1)} ms`);

  // Hex decoding as node-postgres does for a text-format bytea ('\x' + hex), in memory.
  const hex = '\\x' + packVector(Array.from(unitVector(DIMENSION, random))).toString('hex');
  const decode = performance.now();
  for (let i = 0; i < COUNT; i++) unpackVector(Buffer.from(hex.slice(2), 'hex'));
  console.log(`hex decode + unpack of ${COUNT} vectors in memory: ${(performance.now() - decode).toFixed(0)} ms`);

  const url = process.env.DATABASE_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const text = `select id, decode(repeat('3f800000', ${DIMENSION}), 'hex') as vector from generate_series(1, ${COUNT}) id`;
    for (const binary of [false, true, false, true]) {
      const start = performance.now();
      const result = await client.query({ text, binary } as pg.QueryConfig);
      const rows = result.rows as { vector: Buffer }[];
      for (const row of rows) unpackVector(row.vector);
      console.log(`${COUNT} rows of ${DIMENSION * 4} bytes, ${binary ? 'binary' : 'text (hex)'} protocol: ${(performance.now() - start).toFixed(0)} ms`);
    }
  } finally {
    await client.end();
  }
}

await main();
