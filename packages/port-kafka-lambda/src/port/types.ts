import * as z from 'zod';

/**
 * Shapes of the Port REST API bodies this client sends and reads (Port API reference:
 * create-an-access-token, get/update-an-action-run, add-a-log-to-an-action-run,
 * create-an-entity). Response schemas are loose: Port adds fields over time and we
 * only validate what we rely on.
 */

/** Values Port accepts when ending a run (PATCH run `status`, log `terminationStatus`). */
const RunTerminalStatus = { SUCCESS: 'SUCCESS', FAILURE: 'FAILURE' } as const;
type RunTerminalStatus = (typeof RunTerminalStatus)[keyof typeof RunTerminalStatus];
const RunTerminalStatusSchema = z.enum([RunTerminalStatus.SUCCESS, RunTerminalStatus.FAILURE]);

/** Run statuses seen in Port's docs; Port does not enumerate them, so `status` stays a plain string. */
const RunStatus = {
  IN_PROGRESS: 'IN_PROGRESS',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  WAITING_FOR_APPROVAL: 'WAITING_FOR_APPROVAL',
  DECLINED: 'DECLINED',
} as const;
type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/**
 * Statuses after which Port accepts no report, so such a run is never executed
 * (again). SUCCESS, FAILURE and DECLINED are documented; Port publishes no full
 * list, so the cancel/abort spellings count as ended too: a run someone else
 * closed must not be run or overwritten because its status is a word we did not
 * know. The executor and the emulator both read this set.
 */
const ENDED_RUN_STATUSES: ReadonlySet<string> = new Set([
  RunStatus.SUCCESS,
  RunStatus.FAILURE,
  RunStatus.DECLINED,
  'CANCELLED',
  'CANCELED',
  'ABORTED',
]);

/** Whether a run in this status has ended (see {@link ENDED_RUN_STATUSES}). */
const isEndedStatus = (status: string): boolean => ENDED_RUN_STATUSES.has(status);

const RunLink = z.union([z.string(), z.array(z.string())]);

/** A run as returned by `GET/PATCH /v1/actions/runs/{id}` (only the fields we use are checked). */
const PortRunSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  statusLabel: z.string().nullish(),
  link: RunLink.nullish(),
  summary: z.string().nullish(),
  endedAt: z.string().nullish(),
  externalRunId: z.string().nullish(),
  /** Read by the sweeper: which action, and how long the run has waited. */
  action: z.looseObject({ identifier: z.string() }).optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
type PortRun = z.infer<typeof PortRunSchema>;

/** `GET /v1/actions/runs`: a page of runs, newest first; `next` is absent on the last page. */
const RunListEnvelopeSchema = z.looseObject({ runs: z.array(PortRunSchema), next: z.string().nullish() });

/** Body of `PATCH /v1/actions/runs/{id}`. Setting `status` ends the run. */
const RunPatchSchema = z.strictObject({
  status: RunTerminalStatusSchema.optional(),
  statusLabel: z.string().optional(),
  link: RunLink.optional(),
  summary: z.string().optional(),
  externalRunId: z.string().optional(),
});
type RunPatch = z.infer<typeof RunPatchSchema>;

/** Body of `POST /v1/actions/runs/{id}/logs`. A log with `terminationStatus` ends the run (once). */
const RunLogInputSchema = z.strictObject({
  message: z.string(),
  terminationStatus: RunTerminalStatusSchema.optional(),
  statusLabel: z.string().optional(),
});
type RunLogInput = z.infer<typeof RunLogInputSchema>;

const PortRunLogSchema = z.looseObject({
  id: z.string().optional(),
  runId: z.string().optional(),
  message: z.string(),
  createdAt: z.string().optional(),
});
type PortRunLog = z.infer<typeof PortRunLogSchema>;

/** Entity body for create/upsert/patch. */
interface EntityInput {
  identifier: string;
  title?: string;
  properties?: Record<string, unknown>;
  relations?: Record<string, unknown>;
  icon?: string;
  team?: unknown;
}

const PortEntitySchema = z.looseObject({
  identifier: z.string(),
  blueprint: z.string().optional(),
  title: z.string().nullish(),
  properties: z.record(z.string(), z.unknown()).optional(),
  relations: z.record(z.string(), z.unknown()).optional(),
});
type PortEntity = z.infer<typeof PortEntitySchema>;

const TokenResponseSchema = z.looseObject({
  accessToken: z.string().min(1),
  expiresIn: z.number().positive(),
  tokenType: z.string(),
});

const RunEnvelopeSchema = z.looseObject({ run: PortRunSchema });
const RunLogEnvelopeSchema = z.looseObject({ runLog: PortRunLogSchema });
const EntityEnvelopeSchema = z.looseObject({ entity: PortEntitySchema });

/** Port's error body: `{"ok": false, "error": "not_found", "message": "..."}`. */
const PortErrorBodySchema = z.looseObject({
  ok: z.literal(false).optional(),
  error: z.string().optional(),
  message: z.string().optional(),
});

export type { EntityInput, PortEntity, PortRun, PortRunLog, RunLogInput, RunPatch };
export {
  ENDED_RUN_STATUSES,
  EntityEnvelopeSchema,
  isEndedStatus,
  PortEntitySchema,
  PortErrorBodySchema,
  PortRunLogSchema,
  PortRunSchema,
  RunEnvelopeSchema,
  RunListEnvelopeSchema,
  RunLogEnvelopeSchema,
  RunLogInputSchema,
  RunPatchSchema,
  RunStatus,
  RunTerminalStatus,
  RunTerminalStatusSchema,
  TokenResponseSchema,
};
