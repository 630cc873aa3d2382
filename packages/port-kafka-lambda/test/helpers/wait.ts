import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `predicate` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
};

export { waitFor };
