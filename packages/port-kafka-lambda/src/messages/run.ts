import * as z from 'zod';
import { JsonObject, OptionalEntity, Trigger } from './common.js';

/**
 * Runs topic (`<ORG_ID>.runs`) messages. Three shapes are understood:
 *
 * - v1: what Port generated for actions on the old route; `payload.action` is
 *   the full action definition, with its `identifier`.
 * - v2-compat: Port's backward-compatible v2 template renders the v1 shape, but
 *   `payload.action` shrinks to `{ invocationMethod, trigger }`, so the
 *   top-level `action` is the only name of the action.
 * - recommended: this project's template for v2 actions and automations (see
 *   docs/messages.md and `recommendedPayloadTemplate`), marked by its `schema` field.
 */
const InvocationMethod = z.object({
  type: z.string().optional(),
  agent: z.boolean().optional(),
});

// Strict-enough but not loose: unknown keys are dropped rather than copied (the
// v1 payload.action carries the whole action definition, which nothing reads).
const PortRunMessage = z.object({
  action: z.string().min(1),
  resourceType: z.literal('run'),
  status: z.string().optional(),
  trigger: Trigger,
  context: z.object({
    entity: z.string().nullish(),
    blueprint: z.string().nullish(),
    runId: z.string().min(1),
  }),
  payload: z.object({
    entity: OptionalEntity,
    action: z
      .object({
        identifier: z.string().optional(),
        blueprint: z.string().optional(),
        trigger: z.string().optional(),
        invocationMethod: InvocationMethod.optional(),
      })
      .default({}),
    properties: JsonObject.nullish(),
    censoredProperties: z.array(z.string()).nullish(),
  }),
});
type PortRunMessage = z.infer<typeof PortRunMessage>;

const RECOMMENDED_SCHEMA = 'port-kafka-lambda/run@1';

const RecommendedRunMessage = z.object({
  schema: z.literal(RECOMMENDED_SCHEMA),
  runId: z.string().min(1),
  action: z.string().min(1),
  blueprint: z.string().nullish(),
  entity: OptionalEntity,
  inputs: JsonObject.nullish(),
  encryptedInputs: z.array(z.string()).nullish(),
  trigger: Trigger,
  /** The automation's triggering event (diff before/after), when sent. */
  event: z.unknown().optional(),
  /** Which backend takes the run when several share the org's topic (BACKEND_ENVIRONMENT; routing/ownership.ts). */
  environment: z.string().nullish(),
});
type RecommendedRunMessage = z.infer<typeof RecommendedRunMessage>;

/**
 * The JSON to paste as the action's `invocationMethod`. JQ inside `{{ }}` is
 * rendered by Port when the run is created. For an automation, replace the
 * `action` line by the automation's identifier as a literal string: in an
 * automation's trigger data `.action.identifier` does not name the automation.
 */
const recommendedPayloadTemplate = (actionIdentifier?: string, options: { environment?: string } = {}) => ({
  type: 'KAFKA',
  payload: {
    schema: RECOMMENDED_SCHEMA,
    runId: '{{ .run.id }}',
    action: actionIdentifier ?? '{{ .action.identifier }}',
    blueprint: '{{ .action.blueprint }}',
    entity: '{{ if .entity == {} then null else .entity end }}',
    inputs: '{{ .inputs }}',
    encryptedInputs: '{{ .action.encryptedProperties }}',
    trigger: '{{ .trigger }}',
    event: '{{ .event }}',
    // With several backends on one topic, the one whose BACKEND_ENVIRONMENT matches takes the run.
    ...(options.environment === undefined ? {} : { environment: options.environment }),
  },
});

export type { PortRunMessage as PortRunMessageType, RecommendedRunMessage as RecommendedRunMessageType };
export { PortRunMessage, RECOMMENDED_SCHEMA, RecommendedRunMessage, recommendedPayloadTemplate };
