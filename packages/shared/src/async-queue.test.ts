import { describe, expect, it } from 'vitest';
import { AsyncQueue } from './async-queue.js';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('AsyncQueue', () => {
  it('gives items in push order as they come, and ends when closed', async () => {
    const queue = new AsyncQueue<number>();
    const taken = all(queue.drain());
    queue.push(1);
    await Promise.resolve();
    queue.push(2);
    queue.close();
    queue.push(3); // pushed before the consumer looked again: still taken
    expect(await taken).toEqual([1, 2, 3]);
  });

  it('gives what was pushed before a failure, then throws it; a later failure or close changes nothing', async () => {
    const queue = new AsyncQueue<string>();
    queue.push('a');
    queue.fail(new Error('first'));
    queue.fail(new Error('second'));
    queue.close();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of queue.drain()) seen.push(item);
      })(),
    ).rejects.toThrow('first');
    expect(seen).toEqual(['a']);
  });

  it('stops after `limit` items without waiting for an end', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(await all(queue.drain(2))).toEqual([1, 2]);
  });
});
