// A pool of worker threads for CPU-heavy work, so the event loop keeps answering (health, other calls)
// while a long computation runs, and one service uses every core. Each task runs under its caller's
// bounds: past the deadline or on cancellation the task is abandoned and piscina ends its worker and
// starts a fresh one; the caller gets DeadlineExceededError / CancelledError. Each service defines only
// its task module (a default export running `{ kind, input }`) and names it here.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { CancelledError, DeadlineExceededError, DomainError, ResourceExhaustedError, throwIfAborted } from './errors.js';

/** Task kinds, each with its input and output; the task module's default export runs `{ kind, input }`. */
export type TaskTable<Tasks> = { [K in keyof Tasks]: { input: unknown; output: unknown } };

/** What a pool sends to a worker: a task kind and its input. */
export type TaskMessage<Tasks> = { [K in keyof Tasks]: { kind: K; input: Tasks[K] extends { input: infer I } ? I : never } }[keyof Tasks];

/** The caller's deadline and cancellation, carried to the task. */
export interface TaskBounds {
  signal?: AbortSignal;
  deadline?: Date;
}

/**
 * The worker entry for a task module in TypeScript (the service runs from its sources, or under
 * vitest): a shim that registers tsx in the worker thread, then loads the task module.
 */
const TYPESCRIPT_WORKER = new URL('./cpu-worker.mjs', import.meta.url);

/**
 * The task module `name` beside the module at `moduleUrl` (pass `import.meta.url`): `name.ts` when
 * running from the TypeScript sources, `name.js` once compiled.
 */
export function taskModuleBeside(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

export interface CpuPoolOptions {
  /** The task module (see taskModuleBeside); a TypeScript one is loaded through the tsx shim. */
  tasks: URL;
  /** Worker threads; all started at once and kept. Default: the cores available. */
  threads?: number | undefined;
  /** Tasks that may wait for a free worker; one more is refused at once with ResourceExhaustedError. */
  maxQueue: number;
}

const QUEUE_FULL = 'the CPU pool queue is full';

export class CpuPool<Tasks extends TaskTable<Tasks>> {
  readonly threads: number;
  readonly #piscina: Piscina<TaskMessage<Tasks>, unknown>;
  readonly #capacity: number;
  #inFlight = 0;

  constructor(options: CpuPoolOptions) {
    this.threads = options.threads ?? availableParallelism();
    this.#capacity = this.threads + options.maxQueue;
    const typescript = /\.[cm]?ts$/.test(options.tasks.pathname);
    this.#piscina = new Piscina({
      filename: (typescript ? TYPESCRIPT_WORKER : options.tasks).href,
      workerData: typescript ? { taskModule: options.tasks.href } : undefined,
      minThreads: this.threads,
      maxThreads: this.threads,
      maxQueue: options.maxQueue,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /** Tasks admitted and not yet settled: running or waiting for a worker. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Worker thread ids (a worker ended for an abandoned task is replaced by one with a new id). */
  get threadIds(): number[] {
    return this.#piscina.threads.map((w) => w.threadId);
  }

  async run<K extends keyof Tasks>(kind: K, input: Tasks[K]['input'], bounds: TaskBounds): Promise<Tasks[K]['output']> {
    throwIfAborted(bounds.signal);
    if (bounds.deadline && bounds.deadline.getTime() <= Date.now()) throw new DeadlineExceededError('deadline exceeded');
    // Counted here rather than left to piscina, so the refusal is immediate and exact.
    if (this.#inFlight >= this.#capacity) throw new ResourceExhaustedError(QUEUE_FULL);
    const task = taskSignal(bounds);
    this.#inFlight++;
    try {
      return (await this.#piscina.run({ kind, input } as TaskMessage<Tasks>, { signal: task.signal })) as Tasks[K]['output'];
    } catch (err: unknown) {
      if (task.signal.aborted) throw abortError(task.signal.reason);
      if (isQueueFull(err)) throw new ResourceExhaustedError(QUEUE_FULL);
      throw err;
    } finally {
      this.#inFlight--;
      task.dispose();
    }
  }

  /**
   * Runs one task per input, at most `threads` of them at once, so one large call neither fills the
   * queue nor holds every worker beyond one task: other calls' tasks interleave with its own. The
   * first failure abandons the tasks still running and is the call's error.
   */
  async runEach<K extends keyof Tasks>(kind: K, inputs: readonly Tasks[K]['input'][], bounds: TaskBounds): Promise<Tasks[K]['output'][]> {
    throwIfAborted(bounds.signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(bounds.signal?.reason);
    bounds.signal?.addEventListener('abort', onAbort, { once: true });
    const outputs: Tasks[K]['output'][] = new Array(inputs.length);
    let next = 0;
    const lane = async () => {
      while (next < inputs.length) {
        const i = next++;
        outputs[i] = await this.run(kind, inputs[i], { signal: controller.signal, deadline: bounds.deadline });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.threads, inputs.length) }, lane));
      return outputs;
    } catch (err: unknown) {
      controller.abort(err);
      throw err;
    } finally {
      bounds.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Ends every worker; whatever still runs has no caller left by then (the server has drained). */
  async close(): Promise<void> {
    await this.#piscina.destroy();
  }
}

/** One signal for the caller's cancellation and its deadline, whose reason says which fired. */
function taskSignal({ signal, deadline }: TaskBounds): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const ms = deadline ? deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
  // setTimeout holds at most ~24.8 days; a deadline further away than that never fires here.
  if (ms < 2 ** 31 - 1) timer = setTimeout(() => controller.abort(new DeadlineExceededError('deadline exceeded')), Math.max(0, ms));
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The call's signal already carries a DeadlineExceededError or CancelledError (grpc-server.ts callSignal). */
function abortError(reason: unknown): DomainError {
  return reason instanceof DomainError ? reason : new CancelledError('call cancelled');
}

/** piscina's own refusals (a backstop while a replaced worker starts); it exports no error class. */
function isQueueFull(err: unknown): boolean {
  return err instanceof Error && /^(Task queue is at limit|No task queue available)/.test(err.message);
}

/**
 * Splits `items`, in order, into consecutive batches of about equal total size: about `minBatches`
 * of them (never more than there are items), more where a batch would exceed `maxBatchSize`, which
 * only a single item larger than that does.
 */
export function consecutiveBatches<T>(items: readonly T[], sizeOf: (item: T) => number, { minBatches, maxBatchSize }: { minBatches: number; maxBatchSize: number }): T[][] {
  const sizes = items.map(sizeOf);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const target = total / Math.min(items.length, Math.max(1, minBatches, Math.ceil(total / maxBatchSize)));
  const batches: T[][] = [];
  let batchSize = 0;
  let before = 0;
  items.forEach((item, i) => {
    const size = sizes[i]!;
    // A new batch at each multiple of the target, or where this one would grow past the bound.
    if (batches.length === 0 || (batchSize > 0 && (batchSize + size > maxBatchSize || before >= target * batches.length))) {
      batches.push([]);
      batchSize = 0;
    }
    batches[batches.length - 1]!.push(item);
    batchSize += size;
    before += size;
  });
  return batches;
}
