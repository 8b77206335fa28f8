import { threadId } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError, ResourceExhaustedError } from './errors.js';
import { CpuPool, taskModuleBeside } from './cpu-pool.js';
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
