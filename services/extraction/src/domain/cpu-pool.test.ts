import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { CancelledError, DeadlineExceededError, ResourceExhaustedError } from '@clinote/shared/errors.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { CpuPool } from './cpu-pool.js';
import { evaluateRequest } from './cpu-tasks.js';
import { OfflineExtractor } from './offline-extractor.js';

interface FixtureTasks {
  spin: { input: { ms: number }; output: number };
  thread: { input: null; output: number };
}
const FIXTURE = new URL('./cpu-pool.fixture-worker.mjs', import.meta.url);
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });

const pools: { close(): Promise<void> }[] = [];
function fixturePool(threads: number, maxQueue: number): CpuPool<FixtureTasks> {
  const pool = new CpuPool<FixtureTasks>({ threads, maxQueue, worker: FIXTURE });
  pools.push(pool);
  return pool;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('CpuPool', () => {
  it('abandons a task past its deadline with DeadlineExceededError, replaces its worker, and runs the next task', async () => {
    const pool = fixturePool(1, 4);
    const first = await pool.run('thread', null, soon(30_000));
    const started = performance.now();
    await expect(pool.run('spin', { ms: 60_000 }, soon(300))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(5_000);
    const next = await pool.run('thread', null, soon(30_000));
    expect(next).not.toBe(first);
    expect(pool.inFlight).toBe(0);
  });

  it('answers the caller at its deadline even when the task is still waiting for a worker', async () => {
    const pool = fixturePool(1, 4);
    const busy = pool.run('spin', { ms: 1_500 }, soon(30_000));
    await expect(pool.run('thread', null, soon(200))).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(busy).resolves.toBeTypeOf('number');
  });

  it("maps the caller's cancellation to its signal's reason, CancelledError by default", async () => {
    const pool = fixturePool(1, 4);
    const controller = new AbortController();
    const running = pool.run('spin', { ms: 60_000 }, { signal: controller.signal });
    await delay(100);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);

    const deadline = new AbortController();
    deadline.abort(new DeadlineExceededError('deadline exceeded'));
    await expect(pool.run('thread', null, { signal: deadline.signal })).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(pool.run('thread', null, { deadline: new Date(Date.now() - 1) })).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(pool.run('thread', null, soon(30_000))).resolves.toBeTypeOf('number');
  });

  it('refuses a task beyond the queue bound at once with ResourceExhaustedError', async () => {
    const pool = fixturePool(1, 2);
    const admitted = [0, 1, 2].map(() => pool.run('spin', { ms: 300 }, soon(30_000)));
    const started = performance.now();
    const refused = await pool.run('spin', { ms: 300 }, soon(30_000)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ResourceExhaustedError);
    expect((refused as Error).message).toBe('the CPU pool queue is full');
    expect(performance.now() - started).toBeLessThan(50);
    await Promise.all(admitted);
    await expect(pool.run('thread', null, soon(30_000))).resolves.toBeTypeOf('number');
  });
});

describe('the extraction worker (TypeScript loaded in the worker thread)', () => {
  const encounter = loadAciBench('valid')[0]!;
  // Dates survive the structured clone to the worker.
  const at = new Date('2026-01-02T03:04:05Z');
  const sop: Sop = { id: '00000000-0000-4000-8000-000000000001', userId: '', name: 'ACI', version: 1, active: true, sections: ACI_BENCH_SECTIONS, createdAt: at, updatedAt: at };
  const pool = new CpuPool({ threads: 2, maxQueue: 8 });
  pools.push(pool);

  it('extracts one SOP offline exactly as on the main thread', async () => {
    const input = { transcript: encounter.src, sop, examples: [] };
    const pooled = await pool.run('offline_extraction', input, soon(60_000));
    expect(pooled).toEqual(await new OfflineExtractor().extract(input, {}));
    expect(pooled.result.renderedNote.length).toBeGreaterThan(100);
  });

  it('evaluates a request exactly as on the main thread', async () => {
    const { result } = await new OfflineExtractor().extract({ transcript: encounter.src, sop, examples: [] }, {});
    const request = { transcript: encounter.src, sops: [sop], results: [result], referenceNote: encounter.tgt };
    const pooled = await pool.run('evaluation', request, soon(60_000));
    expect(pooled).toEqual(evaluateRequest(request));
    expect(pooled.overall?.rouge?.rouge1).toBeGreaterThan(0);
  });
});
