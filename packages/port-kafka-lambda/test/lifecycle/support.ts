import { createCipheriv, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type ActionInput, type ActionResult, defineAction } from '../../src/actions/define.js';
import { DEFAULT_EMULATOR_CLIENT, type RecordedRequest } from '../../src/emulator/index.js';
import type { RunContext } from '../../src/runs/context.js';
import { v1Run } from '../../src/testing/factories.js';
import type { Harness } from '../helpers/harness.js';

type RunBody = (input: ActionInput<Record<string, unknown>>, ctx: RunContext) => Promise<ActionResult | void>;

/**
 * A test-only action that records every execution by run id, so tests can
 * prove a run was executed exactly once across invocations.
 */
const countingAction = (identifier: string, body?: RunBody) => {
  const executions: string[] = [];
  const action = defineAction({
    identifier,
    inputs: z.looseObject({}),
    async handler(input, ctx) {
      executions.push(input.runId);
      return body ? body(input, ctx) : { summary: `${identifier} done for ${input.runId}` };
    },
  });
  return {
    action,
    executions,
    /** How many times `runId` was executed. */
    timesRun: (runId: string) => executions.filter((id) => id === runId).length,
  };
};

let seq = 0;

/** Creates an IN_PROGRESS run in the emulator and returns the Kafka message for it. */
const newRun = (h: Harness, action: string, inputs: Record<string, unknown> = {}, status?: string) => {
  const runId = `r_${action.replace(/[^a-z]/gi, '')}${++seq}${Math.random().toString(36).slice(2, 8)}`;
  h.emulator.createRun({ id: runId, action, ...(status ? { status } : {}) });
  return { runId, message: v1Run(action, inputs, runId) };
};

const runPath = (runId: string) => `/v1/actions/runs/${runId}`;

/** Requests the emulator received for one run (status, patches, logs). */
const runRequests = (h: Harness, runId: string): RecordedRequest[] =>
  h.emulator.requests.filter((r) => r.path === runPath(runId) || r.path === `${runPath(runId)}/logs`);

const bodyOf = (r: RecordedRequest): Record<string, unknown> =>
  typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>) : {};

/** PATCHes that ended (or tried to end) the run, answered 200. */
const endingPatches = (h: Harness, runId: string): RecordedRequest[] =>
  runRequests(h, runId).filter((r) => r.method === 'PATCH' && r.status === 200 && bodyOf(r).status !== undefined);

/** Port's secret-input format: base64([IV 16][ciphertext][tag 16]), key = first 32 bytes of the client secret. */
const encryptSecret = (plaintext: string, clientSecret: string = DEFAULT_EMULATOR_CLIENT.clientSecret): string => {
  const key = Buffer.from(clientSecret, 'utf8').subarray(0, 32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64');
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `signal` aborts (or at once if it already has). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

export { aborted, bodyOf, countingAction, encryptSecret, endingPatches, newRun, runPath, runRequests, sleep };
