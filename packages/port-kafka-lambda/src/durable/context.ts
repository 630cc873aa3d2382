import type { DurableContext } from '@aws/durable-execution-sdk-js';
import { PortKafkaError } from '../errors.js';
import type { RunContext } from '../runs/context.js';
import { type DurationInput, formatDuration } from './duration.js';

/** How `ctx.step` retries a step that throws. */
interface DurableStepOptions {
  /**
   * Attempts after the first when the step throws (default 0: a thrown error
   * fails the step, and the run unless the handler catches it). A step cut off
   * mid-way by a crash is governed by the action's `onInterrupted` instead.
   */
  retries?: number;
  /** Wait before the first retry, doubling each time (default `'10s'`); no compute is billed meanwhile. */
  retryDelay?: DurationInput;
}

/** How `ctx.waitUntil` polls. */
interface WaitUntilOptions {
  /** Time between two checks; no compute is billed in between. */
  interval: DurationInput;
  /**
   * Give up after this long and throw {@link WaitUntilTimeoutError} (which
   * fails the run unless the handler catches it). Default, and at most: what
   * is left of the run's time limit, past which the run is reported timed out.
   */
  timeout?: DurationInput;
}

/**
 * The context of a durable action (`defineAction({ durable: ... })`): the
 * run context, whose Port calls become checkpointed steps when made outside a
 * step (so a replay does not send a log line twice), plus the durable
 * primitives. The handler's code runs again on every replay; whatever has a
 * side effect belongs in `step`, `wait` or `waitUntil`.
 */
interface DurableRunContext extends RunContext {
  /**
   * Runs `fn` once and checkpoints its result: after a wait or a crash the
   * handler replays, and a finished step returns its stored result without
   * running again. The result must survive JSON (no class instances, no
   * Dates). Never return a decrypted secret: results are stored.
   */
  step<T>(name: string, fn: () => Promise<T>, options?: DurableStepOptions): Promise<T>;
  /** Suspends the run for `duration` (e.g. `'5m'`) without billing compute. */
  wait(duration: DurationInput): Promise<void>;
  /** The same, with a name shown in the execution's history. */
  wait(name: string, duration: DurationInput): Promise<void>;
  /**
   * Polls an external system until `check` returns something other than
   * `undefined`, which it returns. Each check is checkpointed; between checks
   * the run is suspended for `interval`. `attempt` counts checks from 1.
   * Context calls inside `check` (`ctx.log`, `ctx.setStatusLabel`) go straight
   * to Port.
   */
  waitUntil<T>(name: string, check: (attempt: number) => Promise<T | undefined>, options: WaitUntilOptions): Promise<T>;
  /**
   * The durable SDK's own context, for what the primitives above do not cover
   * (callbacks, parallel branches). Its operations are not counted against the
   * run's time limit.
   */
  readonly durable: DurableContext;
}

/** `ctx.waitUntil` ran out of its `timeout` before `check` returned a value. */
class WaitUntilTimeoutError extends PortKafkaError {
  readonly checks: number;
  constructor(name: string, timeoutMs: number, checks: number) {
    super(`"${name}" did not happen within ${formatDuration(timeoutMs)} (${checks} check${checks === 1 ? '' : 's'})`);
    this.name = 'WaitUntilTimeoutError';
    this.checks = checks;
  }
}

/** The executor was given something other than a durable run payload (a newer dispatcher, a hand-made event). */
class DurableRunPayloadError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DurableRunPayloadError';
  }
}

export type { DurableRunContext, DurableStepOptions, WaitUntilOptions };
export { DurableRunPayloadError, WaitUntilTimeoutError };
