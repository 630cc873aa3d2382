import { setImmediate as nextMacrotask, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { type BatchLimits, batches } from '../../src/consumer/batches.js';

/**
 * An async iterable the test feeds over time, like a Kafka stream: `next()`
 * calls are answered strictly in order, so a read the batcher dropped would
 * swallow the item pushed to it (and the test would see it missing).
 */
class PushQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** How many times the batcher asked for the next item. */
  reads = 0;

  push(...items: T[]): void {
    for (const item of items) {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve({ value: item, done: false });
      else this.items.push(item);
    }
  }

  end(): void {
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    this.failure = { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        this.reads += 1;
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
      },
    };
  }
}

const limitsOf = (overrides: Partial<BatchLimits<string>>): BatchLimits<string> => ({
  maxRecords: 100,
  windowMs: 1000,
  maxBytes: 1_000_000,
  sizeOf: (item) => item.length,
  ...overrides,
});

/** Rejects if `promise` takes longer than `ms`: a hang fails fast instead of at Jest's timeout. */
const within = async <T>(ms: number, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * For the tests that are about the window: Jest's fake clock, so the window closes exactly when
 * the test advances time and never because the machine was slow. setImmediate stays real:
 * `settledNow` needs a real turn of the event loop.
 */
const useFakeClock = (): void => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
};
afterEach(() => {
  jest.useRealTimers();
});

type Settled<T> = 'pending' | { value: T } | { error: unknown };

/**
 * How `promise` stands once every pending promise callback has run (setImmediate fires only
 * after the microtask queue is empty), without any time passing.
 */
const afterPendingCallbacks = async <T>(promise: Promise<T>): Promise<Settled<T>> => {
  let settled: Settled<T> = 'pending';
  promise.then(
    (value) => (settled = { value }),
    (error: unknown) => (settled = { error })
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
};

/** The promise's value at once (see afterPendingCallbacks); throws if it is still pending. */
const settledNow = async <T>(what: string, promise: Promise<T>): Promise<T> => {
  const settled = await afterPendingCallbacks(promise);
  if (settled === 'pending') throw new Error(`${what} is still pending`);
  if ('error' in settled) throw settled.error;
  return settled.value;
};

const stillPending = async (promise: Promise<unknown>): Promise<boolean> => (await afterPendingCallbacks(promise)) === 'pending';

const collect = async <T>(generator: AsyncGenerator<T[]>): Promise<T[][]> => {
  const out: T[][] = [];
  for await (const batch of generator) out.push(batch);
  return out;
};

describe('batches', () => {
  it('closes a batch at maxRecords without waiting for the window', async () => {
    // The clock stands still: a batch that waited for the window would stay pending.
    useFakeClock();
    const queue = new PushQueue<string>();
    queue.push('a', 'b', 'c', 'd', 'e', 'f', 'g');
    const generator = batches(queue, limitsOf({ maxRecords: 3, windowMs: 10_000 }));
    expect((await settledNow('the first batch', generator.next())).value).toEqual(['a', 'b', 'c']);
    expect((await settledNow('the second batch', generator.next())).value).toEqual(['d', 'e', 'f']);
    queue.end();
    expect(await settledNow('the rest', collect(generator))).toEqual([['g']]);
  });

  it('reads no further than maxRecords: the next record stays in the source', async () => {
    const queue = new PushQueue<string>();
    queue.push('a', 'b', 'c');
    const generator = batches(queue, limitsOf({ maxRecords: 2 }));
    expect((await generator.next()).value).toEqual(['a', 'b']);
    expect(queue.reads).toBe(2);
    await generator.return(undefined);
  });

  it('closes a batch windowMs after its first record; later records start the next batch, none lost or reordered', async () => {
    useFakeClock();
    const queue = new PushQueue<string>();
    const generator = batches(queue, limitsOf({ windowMs: 40 }));
    const first = generator.next();
    await jest.advanceTimersByTimeAsync(10); // the window starts at the first record, not at the call
    queue.push('a');
    await jest.advanceTimersByTimeAsync(5);
    queue.push('b');
    await jest.advanceTimersByTimeAsync(34);
    expect(await stillPending(first)).toBe(true); // 39 ms after 'a': still open
    await jest.advanceTimersByTimeAsync(1);
    expect((await settledNow('the batch 40 ms after its first record', first)).value).toEqual(['a', 'b']);

    // A read was pending when the window closed; the next record must go to it,
    // i.e. into the next batch, not be swallowed by a dropped read.
    const second = generator.next();
    await jest.advanceTimersByTimeAsync(20);
    queue.push('c');
    await jest.advanceTimersByTimeAsync(5);
    queue.push('d');
    await jest.advanceTimersByTimeAsync(60); // the window of 'c' closes 40 ms after it
    queue.push('e');
    expect((await settledNow('the second batch', second)).value).toEqual(['c', 'd']);
    queue.end();
    expect(await settledNow('the rest', collect(generator))).toEqual([['e']]);
  });

  it('keeps the read the window interrupted: one next() per record, none repeated', async () => {
    const queue = new PushQueue<string>();
    queue.push('a');
    const generator = batches(queue, limitsOf({ windowMs: 15 }));
    expect((await generator.next()).value).toEqual(['a']);
    // 'a', then the read interrupted by the window (still pending)
    expect(queue.reads).toBe(2);
    await sleep(30);
    expect(queue.reads).toBe(2); // nothing is read while the caller holds the batch
    queue.push('b');
    queue.end();
    expect(await within(500, collect(generator))).toEqual([['b']]);
  });

  it('with windowMs 0 still gathers every record already available', async () => {
    const queue = new PushQueue<string>();
    queue.push('a', 'b', 'c', 'd');
    const generator = batches(queue, limitsOf({ windowMs: 0 }));
    expect((await within(500, generator.next())).value).toEqual(['a', 'b', 'c', 'd']);
    const next = generator.next();
    await sleep(20);
    queue.push('e');
    expect((await within(500, next)).value).toEqual(['e']);
    await sleep(20);
    queue.push('f', 'g');
    queue.end();
    expect(await within(500, collect(generator))).toEqual([['f', 'g']]);
  });

  it('with windowMs 0 gathers what an async generator source has ready', async () => {
    async function* source(): AsyncGenerator<string> {
      yield* ['a', 'b', 'c'];
      await sleep(30);
      yield* ['d', 'e'];
    }
    expect(await within(1000, collect(batches(source(), limitsOf({ windowMs: 0 }))))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('cuts at maxBytes and carries the overflowing record into the next batch', async () => {
    const queue = new PushQueue<string>();
    queue.push('aaaa', 'bbbb', 'cccc', 'dd', 'eeeeeeee', 'f');
    queue.end();
    const out = await within(500, collect(batches(queue, limitsOf({ maxBytes: 10 }))));
    expect(out).toEqual([
      ['aaaa', 'bbbb'],
      ['cccc', 'dd'],
      ['eeeeeeee', 'f'],
    ]);
  });

  it('a batch exactly at maxBytes is not cut early', async () => {
    const queue = new PushQueue<string>();
    queue.push('aaaaa', 'bbbbb', 'c');
    queue.end();
    expect(await collect(batches(queue, limitsOf({ maxBytes: 10 })))).toEqual([['aaaaa', 'bbbbb'], ['c']]);
  });

  it('a carried record counts towards the next batch’s maxRecords and bytes', async () => {
    const queue = new PushQueue<string>();
    queue.push('aaaa', 'bbbbbbb', 'c', 'd', 'e');
    queue.end();
    expect(await collect(batches(queue, limitsOf({ maxBytes: 10, maxRecords: 2 })))).toEqual([['aaaa'], ['bbbbbbb', 'c'], ['d', 'e']]);
  });

  it('a single record larger than maxBytes makes a batch of one, read first or carried', async () => {
    const big = 'X'.repeat(25);
    const queue = new PushQueue<string>();
    queue.push(big, 'a', 'b', big, big, 'c');
    queue.end();
    expect(await within(500, collect(batches(queue, limitsOf({ maxBytes: 10 }))))).toEqual([[big], ['a', 'b'], [big], [big], ['c']]);
  });

  it('yields the partial batch when the source ends, then ends, without waiting for the window', async () => {
    // The clock stands still: only the end of the source can close this batch.
    useFakeClock();
    const queue = new PushQueue<string>();
    const generator = batches(queue, limitsOf({ windowMs: 10_000 }));
    const first = generator.next();
    queue.push('a', 'b');
    expect(await stillPending(first)).toBe(true); // the window is open and the source may send more
    queue.end();
    expect((await settledNow('the batch after the source ended', first)).value).toEqual(['a', 'b']);
    expect(await settledNow('the end', generator.next())).toEqual({ value: undefined, done: true });
  });

  it('an empty source yields nothing', async () => {
    const queue = new PushQueue<string>();
    queue.end();
    expect(await within(500, collect(batches(queue, limitsOf({}))))).toEqual([]);
  });

  it('an abort while waiting for the first record ends the generator', async () => {
    const queue = new PushQueue<string>();
    const controller = new AbortController();
    const generator = batches(queue, limitsOf({ windowMs: 10 }), controller.signal);
    const next = generator.next();
    await sleep(30);
    controller.abort();
    expect(await within(500, next)).toEqual({ value: undefined, done: true });
    expect(await generator.next()).toEqual({ value: undefined, done: true });
  });

  it('an abort during a window hands over the partial batch at once, then ends', async () => {
    const queue = new PushQueue<string>();
    const controller = new AbortController();
    const generator = batches(queue, limitsOf({ windowMs: 10_000 }), controller.signal);
    const next = generator.next();
    queue.push('a', 'b');
    await sleep(20);
    controller.abort();
    expect((await within(500, next)).value).toEqual(['a', 'b']);
    expect(await within(500, generator.next())).toEqual({ value: undefined, done: true });
  });

  it('an abort while the caller holds a batch ends the generator at the next call, dropping the carried record', async () => {
    const queue = new PushQueue<string>();
    queue.push('aaaaaaaa', 'bbbbbbbb');
    const controller = new AbortController();
    const generator = batches(queue, limitsOf({ maxBytes: 10 }), controller.signal);
    expect((await generator.next()).value).toEqual(['aaaaaaaa']);
    controller.abort();
    expect(await within(500, generator.next())).toEqual({ value: undefined, done: true });
  });

  it('an already-aborted signal yields nothing, even with records available', async () => {
    const queue = new PushQueue<string>();
    queue.push('a', 'b');
    const out = await within(500, collect(batches(queue, limitsOf({}), AbortSignal.abort())));
    expect(out).toEqual([]);
  });

  it('a source that throws makes the generator throw', async () => {
    async function* source(): AsyncGenerator<string> {
      yield 'a';
      await sleep(5);
      throw new Error('connection lost');
    }
    await expect(within(1000, collect(batches(source(), limitsOf({ windowMs: 10_000 }))))).rejects.toThrow('connection lost');
  });

  it('a source failing while the batcher waits for the first record makes it throw', async () => {
    const queue = new PushQueue<string>();
    const generator = batches(queue, limitsOf({}));
    const next = generator.next();
    await sleep(5);
    queue.fail(new Error('broker gone'));
    await expect(within(500, next)).rejects.toThrow('broker gone');
  });

  it('a source failing on a read the window interrupted surfaces on the next call', async () => {
    const queue = new PushQueue<string>();
    queue.push('a');
    const generator = batches(queue, limitsOf({ windowMs: 10 }));
    expect((await generator.next()).value).toEqual(['a']);
    queue.fail(new Error('late failure'));
    await expect(within(500, generator.next())).rejects.toThrow('late failure');
  });
});

describe('batches properties', () => {
  /** How an item arrives after the previous one: at once, after a macrotask, or after a few ms. */
  const gap = fc.oneof(
    { weight: 5, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }
  );
  const wait = async (ms: number): Promise<void> => {
    if (ms === -1) await nextMacrotask();
    else if (ms > 0) await sleep(ms);
  };

  it('concatenated batches equal the input in order, and every batch respects maxRecords and maxBytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 40 }), gap }), { maxLength: 25 }),
        fc.record({
          maxRecords: fc.integer({ min: 1, max: 8 }),
          windowMs: fc.constantFrom(0, 1, 3),
          maxBytes: fc.integer({ min: 1, max: 60 }),
        }),
        fc.array(gap, { maxLength: 5 }),
        async (arrivals, limits, callerGaps) => {
          const input = arrivals.map((arrival, index) => ({ id: index, size: arrival.size }));
          async function* source(): AsyncGenerator<{ id: number; size: number }> {
            for (const [index, item] of input.entries()) {
              await wait(arrivals[index]?.gap ?? 0);
              yield item;
            }
          }
          const out: Array<Array<{ id: number; size: number }>> = [];
          for await (const batch of batches(source(), { ...limits, sizeOf: (item) => item.size })) {
            out.push(batch);
            await wait(callerGaps[out.length % Math.max(callerGaps.length, 1)] ?? 0);
          }
          expect(out.flat().map((item) => item.id)).toEqual(input.map((item) => item.id));
          for (const batch of out) {
            expect(batch.length).toBeGreaterThanOrEqual(1);
            expect(batch.length).toBeLessThanOrEqual(limits.maxRecords);
            if (batch.length > 1) expect(batch.reduce((sum, item) => sum + item.size, 0)).toBeLessThanOrEqual(limits.maxBytes);
          }
        }
      ),
      { numRuns: 120 }
    );
  });

  it('with a pushed source and an abort, what was handed over is a prefix of the input in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(gap, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        async (gaps, abortAfter, maxRecords) => {
          const queue = new PushQueue<number>();
          const controller = new AbortController();
          const producer = (async () => {
            for (const [index, ms] of gaps.entries()) {
              await wait(ms);
              if (index === abortAfter) controller.abort();
              queue.push(index);
            }
            controller.abort();
          })();
          const out: number[][] = [];
          const limits = { maxRecords, windowMs: 2, maxBytes: 100, sizeOf: () => 1 };
          for await (const batch of batches(queue, limits, controller.signal)) out.push(batch);
          await producer;
          const flat = out.flat();
          expect(flat).toEqual(gaps.slice(0, flat.length).map((_, index) => index));
          for (const batch of out) expect(batch.length).toBeLessThanOrEqual(maxRecords);
        }
      ),
      { numRuns: 60 }
    );
  });
});
