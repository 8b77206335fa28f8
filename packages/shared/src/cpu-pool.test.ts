import { threadId } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError, ResourceExhaustedError } from './errors.js';
import { consecutiveBatches, CpuPool, taskModuleBeside } from './cpu-pool.js';
import type { FixtureTypeScriptTasks } from './cpu-pool.fixture-tasks.js';
import { rougeScores } from './rouge.js';

interface FixtureTasks {
  spin: { input: { ms: number }; output: number };
  thread: { input: null; output: number };
}
const FIXTURE = new URL('./cpu-pool.fixture-worker.mjs', import.meta.url);
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });

const pools: { close(): Promise<void> }[] = [];
function fixturePool(threads: number, maxQueue: number): CpuPool<FixtureTasks> {
  const pool = new CpuPool<FixtureTasks>({ threads, maxQueue, tasks: FIXTURE });
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

  it('starts one worker per available core by default', () => {
    const pool = new CpuPool<FixtureTasks>({ maxQueue: 0, tasks: FIXTURE });
    pools.push(pool);
    expect(pool.threads).toBeGreaterThanOrEqual(1);
    expect(pool.threadIds).toHaveLength(pool.threads);
  });
});

describe('CpuPool.runEach', () => {
  it('runs every input, in order, at most one task per worker at a time', async () => {
    const pool = fixturePool(2, 0);
    // With no queue at all, a third task at once would be refused: runEach never has more than two.
    const threads = await pool.runEach('spin', Array.from({ length: 6 }, () => ({ ms: 50 })), soon(30_000));
    expect(threads).toHaveLength(6);
    expect(new Set(threads)).toEqual(new Set(pool.threadIds));
    expect(pool.inFlight).toBe(0);
  });

  it('abandons the tasks still running and starts no more once its deadline passes', async () => {
    const pool = fixturePool(2, 4);
    const before = pool.threadIds;
    const started = performance.now();
    await expect(pool.runEach('spin', Array.from({ length: 10 }, () => ({ ms: 400 })), soon(600))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(pool.inFlight).toBe(0);
    await expect(pool.run('thread', null, soon(30_000))).resolves.toBeTypeOf('number');
    expect(pool.threadIds.some((id) => !before.includes(id))).toBe(true);
  });

  it("stops on the caller's cancellation", async () => {
    const pool = fixturePool(2, 4);
    const controller = new AbortController();
    const running = pool.runEach('spin', Array.from({ length: 4 }, () => ({ ms: 60_000 })), { signal: controller.signal });
    await delay(100);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    expect(pool.inFlight).toBe(0);
  });
});

describe('consecutiveBatches', () => {
  const sizes = (batches: number[][]) => batches.map((b) => b.reduce((s, x) => s + x, 0));
  const options = (minBatches: number, maxBatchSize: number) => ({ minBatches, maxBatchSize });

  it('keeps the order and every item, in about minBatches batches of about equal size', () => {
    const items = Array.from({ length: 10 }, (_, i) => i + 1);
    const batches = consecutiveBatches(items, (x) => x, options(2, 1_000));
    expect(batches.flat()).toEqual(items);
    expect(sizes(batches)).toEqual([28, 27]);
    expect(consecutiveBatches([4, 4, 4], (x) => x, options(2, 1_000))).toEqual([[4, 4], [4]]);
  });

  it('makes more batches where one would exceed the bound, which only a single larger item does', () => {
    const items = Array.from({ length: 500 }, () => 250_000);
    const batches = consecutiveBatches(items, (x) => x, options(2, 2_000_000));
    expect(batches.flat()).toHaveLength(500);
    expect(batches).toHaveLength(63);
    expect(Math.max(...sizes(batches))).toBeLessThanOrEqual(2_000_000);
    expect(consecutiveBatches([9, 9, 9, 9, 1_000], (x) => x, options(2, 10))).toEqual([[9], [9], [9], [9], [1_000]]);
  });

  it('never makes more batches than items, nor an empty one', () => {
    expect(consecutiveBatches([], (x: number) => x, options(4, 10))).toEqual([]);
    expect(consecutiveBatches([1], (x) => x, options(4, 10))).toEqual([[1]]);
    expect(consecutiveBatches([0, 0, 0], (x) => x, options(2, 10))).toEqual([[0, 0, 0]]);
    expect(consecutiveBatches([5, 5], (x) => x, options(8, 100))).toEqual([[5], [5]]);
  });
});

describe('a TypeScript task module (loaded through the tsx shim)', () => {
  it('runs in another thread and gives what it gives on the main thread', async () => {
    const tasks = taskModuleBeside(import.meta.url, 'cpu-pool.fixture-tasks');
    expect(tasks.pathname.endsWith('/cpu-pool.fixture-tasks.ts')).toBe(true);
    const pool = new CpuPool<FixtureTypeScriptTasks>({ threads: 1, maxQueue: 1, tasks });
    pools.push(pool);
    const input = { pred: 'the patient reports knee pain for two weeks', ref: 'knee pain for two weeks, worse on stairs' };
    const pooled = await pool.run('rouge', input, soon(30_000));
    expect(pooled.scores).toEqual(rougeScores(input.pred, input.ref));
    expect(pooled.threadId).not.toBe(threadId);
  });

  it('names the compiled task module once the caller is compiled', () => {
    expect(taskModuleBeside('file:///app/dist/domain/cpu-pool.js', 'cpu-tasks').href).toBe('file:///app/dist/domain/cpu-tasks.js');
    expect(taskModuleBeside('file:///app/src/domain/cpu-pool.ts', 'cpu-tasks').href).toBe('file:///app/src/domain/cpu-tasks.ts');
  });
});
