import type { ParkedRecord, Parker } from './parker.js';

/**
 * A parker built on first use. Records are parked rarely, and the SQS client
 * behind the real one costs tens of milliseconds of cold start to load.
 */
class LazyParker implements Parker {
  #parker: Promise<Parker> | undefined;
  constructor(private readonly create: () => Promise<Parker>) {}
  async park(record: ParkedRecord): Promise<void> {
    const pending = (this.#parker ??= this.create());
    // A failed creation is not kept: the next record tries again.
    pending.catch(() => {
      if (this.#parker === pending) this.#parker = undefined;
    });
    await (await pending).park(record);
  }
}

export { LazyParker };
