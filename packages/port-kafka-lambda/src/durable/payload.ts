import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Entity, JsonObject, Trigger } from '../messages/common.js';
import { RunFormat, type RunRequest } from '../messages/run-request.js';

/**
 * What the dispatcher hands the run executor: the run as the handler read it,
 * where its record was, when it was accepted (the run's time limit counts from
 * then) and which attempt this is. The same record always yields the same
 * payload (acceptedAt comes from the run ledger's first claim), because Lambda
 * treats an execution name started with a different payload as a conflict.
 */
const RunRequestSchema = z.object({
  runId: z.string().min(1),
  action: z.string().min(1),
  blueprint: z.string().nullable(),
  entity: Entity.nullable(),
  entityIdentifier: z.string().nullable(),
  inputs: JsonObject,
  encryptedInputs: z.array(z.string()).readonly(),
  trigger: Trigger,
  format: z.enum(Object.values(RunFormat) as [RunFormat, ...RunFormat[]]),
  event: z.unknown().optional(),
}) satisfies z.ZodType<RunRequest, unknown>;

const DurableRunPayload = z.object({
  /** Payload format; a later one gets a new number, so an old executor refuses it by name. */
  v: z.literal(1),
  run: RunRequestSchema,
  record: z.object({
    topic: z.string(),
    partition: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    timestamp: z.number().optional(),
  }),
  /** Epoch ms the record was accepted (the ledger's first claim): the time limit counts from here. */
  acceptedAt: z.number().int().positive(),
  /** 1, or more when an interrupted run is run again (onInterrupted: 'rerun'). */
  attempt: z.number().int().min(1),
});
type DurableRunPayload = z.output<typeof DurableRunPayload>;

/** Lambda's rules for an execution name: 1-64 of `[a-zA-Z0-9-_]`. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME = 64;

/**
 * The durable execution name of a run: the idempotency key that lets a
 * redelivered record start nothing new. Port run ids (`r_…`) fit Lambda's
 * alphabet as they are; anything else, or a name too long, keeps a readable
 * prefix and gains a hash of the whole id, so distinct ids never share a name.
 * A rerun after an interruption is a new attempt and a new execution.
 */
const executionName = (runId: string, attempt = 1): string => {
  const suffix = attempt > 1 ? `-a${attempt}` : '';
  const plain = `run-${runId}${suffix}`;
  if (EXECUTION_NAME.test(plain)) return plain;
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 16);
  const readable = runId.replace(/[^A-Za-z0-9_-]/g, '_');
  const room = MAX_NAME - 'run-'.length - 1 - hash.length - suffix.length;
  return `run-${readable.slice(0, Math.max(0, room))}-${hash}${suffix}`;
};

/** The run ledger owner of a durable run: its execution, so the dispatcher can claim on its behalf. */
const executionOwner = (name: string): string => `durable/${name}`;

export { DurableRunPayload, EXECUTION_NAME, executionName, executionOwner, RunRequestSchema };
