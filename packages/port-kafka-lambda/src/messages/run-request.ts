import type { Entity, Trigger } from './common.js';

/** Which message shape a run arrived in. */
const RunFormat = {
  V1: 'v1',
  V2Compat: 'v2-compat',
  Recommended: 'recommended',
  Custom: 'custom',
} as const;
type RunFormat = (typeof RunFormat)[keyof typeof RunFormat];

/**
 * One action run, whatever shape it arrived in: what an action handler needs
 * and nothing of the transport.
 */
interface RunRequest {
  runId: string;
  /** The action identifier as Port sent it (v2 identifiers may carry a `<blueprint>_` prefix). */
  action: string;
  blueprint: string | null;
  /** The full entity the run was triggered on, when the message carries it. */
  entity: Entity | null;
  entityIdentifier: string | null;
  /** User inputs, not yet validated against the action's schema. */
  inputs: Record<string, unknown>;
  /** Names of inputs Port encrypted (secret inputs). */
  encryptedInputs: readonly string[];
  /** Who triggered the run, when, and from where. */
  trigger: Trigger;
  format: RunFormat;
  /** An automation's triggering event, when the payload carries it. */
  event?: unknown;
}

export type { RunRequest };
export { RunFormat };
