import { describeIssues } from '../validation.js';
import { PortChangeMessage, type PortChangeMessageType } from './change.js';
import { isObject } from './common.js';
import { PortRunMessage, RECOMMENDED_SCHEMA, RecommendedRunMessage } from './run.js';
import { RunFormat, type RunRequest } from './run-request.js';

/** A function the user supplies to read run payloads of their own design. */
type CustomRunParser = (value: unknown) => RunRequest | undefined;

type Normalized<T> = { ok: true; value: T } | { ok: false; detail: string };

/**
 * Turns a runs-topic message into a RunRequest: the project's recommended
 * template first (it is marked), then Port's v1 / v2-compat shape, then the
 * user's parser for custom payloads.
 */
const normalizeRun = (value: unknown, custom?: CustomRunParser): Normalized<RunRequest> => {
  if (isObject(value) && value.schema === RECOMMENDED_SCHEMA) {
    const parsed = RecommendedRunMessage.safeParse(value);
    if (!parsed.success) return { ok: false, detail: describeIssues(parsed.error) };
    const m = parsed.data;
    return {
      ok: true,
      value: {
        runId: m.runId,
        action: m.action,
        blueprint: m.blueprint ?? m.entity?.blueprint ?? null,
        entity: m.entity ?? null,
        entityIdentifier: m.entity?.identifier ?? null,
        inputs: m.inputs ?? {},
        encryptedInputs: m.encryptedInputs ?? [],
        trigger: m.trigger,
        format: RunFormat.Recommended,
        ...(m.event !== undefined && m.event !== null ? { event: m.event } : {}),
      },
    };
  }
  if (isObject(value) && value.resourceType === 'run') {
    const parsed = PortRunMessage.safeParse(value);
    if (!parsed.success) return { ok: false, detail: describeIssues(parsed.error) };
    const m = parsed.data;
    // v1 messages embed the whole action definition; the v2 backward-compatible
    // template keeps only invocationMethod and trigger, so no identifier.
    const v1 = m.payload.action.identifier !== undefined;
    return {
      ok: true,
      value: {
        runId: m.context.runId,
        action: m.action,
        blueprint: m.context.blueprint ?? m.payload.action.blueprint ?? null,
        entity: m.payload.entity ?? null,
        entityIdentifier: m.context.entity ?? m.payload.entity?.identifier ?? null,
        inputs: m.payload.properties ?? {},
        encryptedInputs: m.payload.censoredProperties ?? [],
        trigger: m.trigger,
        format: v1 ? RunFormat.V1 : RunFormat.V2Compat,
      },
    };
  }
  const fromCustom = custom?.(value);
  if (fromCustom) return { ok: true, value: { ...fromCustom, format: RunFormat.Custom } };
  return {
    ok: false,
    detail: 'not a Port run message (no resourceType "run", no recommended schema marker) and no custom parser matched',
  };
};

/** A change event with its action upper-cased, ready for routing. */
type ChangeEvent = PortChangeMessageType;

const normalizeChange = (value: unknown): Normalized<ChangeEvent> => {
  const parsed = PortChangeMessage.safeParse(value);
  if (!parsed.success) return { ok: false, detail: describeIssues(parsed.error) };
  return { ok: true, value: parsed.data };
};

// Re-exported for runs/execute.ts, which imports it from here.
export { describeIssues } from '../validation.js';
export type { ChangeEvent, CustomRunParser, Normalized };
export { normalizeChange, normalizeRun };
