// A queue handed from producers (callbacks, concurrent tasks) to one async consumer, in the order the
// items were pushed; it ends when closed or failed. Server-streaming handlers use it to send what
// concurrent work produces as soon as it is there.

export class AsyncQueue<T> {
  private readonly ready: T[] = [];
  private end: { closed: true } | { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.ready.push(item);
    this.wake?.();
  }

  /** No more items: the consumer ends once it has taken those pushed. */
  close(): void {
    this.end ??= { closed: true };
    this.wake?.();
  }

  /** The first failure ends the queue: the consumer takes what was pushed before it, then it throws. */
  fail(error: unknown): void {
    this.end ??= { error };
    this.wake?.();
  }

  /** The items as they come, until the queue is closed (or `limit` were taken), or its failure. */
  async *drain(limit = Number.POSITIVE_INFINITY): AsyncGenerator<T> {
    let taken = 0;
    while (taken < limit) {
      if (this.ready.length > 0) {
        taken++;
        yield this.ready.shift()!;
        continue;
      }
      if (this.end) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (taken < limit && this.end && 'error' in this.end) throw this.end.error;
  }
}
