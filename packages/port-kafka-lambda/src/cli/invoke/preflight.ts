import { createActionRegistry } from '../../actions/registry.js';
import type { PortKafkaApp } from '../../app.js';
import { type DecodedRecord, decodeRecord } from '../../kafka/decode.js';
import { KafkaEvent } from '../../kafka/event.js';
import { isObject } from '../../messages/common.js';
import { normalizeChange, normalizeRun } from '../../messages/normalize.js';
import { TopicKind, topicKind } from '../../port/kafka.js';
import { foreignChange, foreignRun } from '../../routing/ownership.js';
import { InputErrors } from './errors.js';
import type { InvokeBatch } from './inputs.js';

/** A run the handler will execute: what the emulator needs to know it. */
interface PlannedRun {
  runId: string;
  action: string;
  blueprint: string | null;
  entity: string | null;
  inputs: Record<string, unknown>;
  /** Which payload shape carried it: v1, v2-compat, recommended, custom. */
  format: string;
  /** Where it was triggered from (UI, API, AUTOMATION) and by whom, when the message says. */
  origin?: string;
  by?: string;
}

/** An entity a change-log event says exists now (its `diff.after`). */
interface PlannedEntity {
  blueprint: string;
  identifier: string;
  title?: string;
  properties: Record<string, unknown>;
  relations: Record<string, unknown>;
}

interface BatchPlan {
  batch: InvokeBatch;
  runs: PlannedRun[];
  entities: PlannedEntity[];
  /** What each readable record is, by `topic-partition@offset`, for the output. */
  descriptions: Map<string, string>;
}

const coordinateKey = (c: { topic: string; partition: number; offset: number }): string => `${c.topic}-${c.partition}@${c.offset}`;

const describeChange = (value: unknown): string => {
  const change = normalizeChange(value);
  if (!change.ok) return 'change-log message';
  const { action, resourceType, context } = change.value;
  const target = [context.blueprint, context.entity ?? context.runId].filter(Boolean).join('/');
  return `${action} ${resourceType}${target ? ` ${target}` : ''}`;
};

/** Every record of the event; records that do not decode are left to the handler (they are test cases). */
const decodedRecords = (event: unknown): DecodedRecord[] => {
  const parsed = KafkaEvent.safeParse(event);
  if (!parsed.success) return [];
  const out: DecodedRecord[] = [];
  for (const raw of Object.values(parsed.data.records).flat()) {
    try {
      out.push(decodeRecord(raw));
    } catch {
      // Malformed on purpose or not, the handler reports it as invalid.
    }
  }
  return out;
};

const entityAfter = (value: unknown): PlannedEntity | undefined => {
  const change = normalizeChange(value);
  if (!change.ok || change.value.resourceType !== 'entity') return undefined;
  const after = change.value.diff.after;
  if (!isObject(after) || typeof after.identifier !== 'string') return undefined;
  const blueprint = typeof after.blueprint === 'string' ? after.blueprint : change.value.context.blueprint;
  if (!blueprint) return undefined;
  return {
    blueprint,
    identifier: after.identifier,
    ...(typeof after.title === 'string' ? { title: after.title } : {}),
    properties: isObject(after.properties) ? after.properties : {},
    relations: isObject(after.relations) ? after.relations : {},
  };
};

/**
 * Looks inside every batch before anything runs: finds the runs (for the
 * emulator to know them) and the entities change events describe, and
 * refuses runs of actions no handler is registered for, naming the fix.
 */
const planBatches = (batches: readonly InvokeBatch[], app: PortKafkaApp, orgId?: string): BatchPlan[] => {
  const { actions } = app;
  // The same lookup the handler does, so the answer cannot differ from the run's.
  const registry = createActionRegistry(actions);
  const known =
    actions
      .map((a) => a.identifier)
      .sort()
      .join(', ') || 'none';
  const problems: string[] = [];
  const plans = batches.map((batch): BatchPlan => {
    const runs: PlannedRun[] = [];
    const entities: PlannedEntity[] = [];
    const descriptions = new Map<string, string>();
    for (const record of decodedRecords(batch.event)) {
      if (record.tombstone) continue;
      const key = coordinateKey(record);
      const kind = topicKind(record.topic, orgId);
      if (kind === TopicKind.ChangeLog) {
        descriptions.set(key, describeChange(record.value));
        if (!foreignChange(record.value)) {
          const entity = entityAfter(record.value);
          if (entity) entities.push(entity);
        }
      }
      if (kind !== TopicKind.Runs || foreignRun(record.value)) continue;
      const normalized = normalizeRun(record.value, app.customRunParser);
      if (!normalized.ok) continue;
      const run = normalized.value;
      descriptions.set(key, `run ${run.runId} of ${run.action} (${run.format} payload)`);
      if (!registry.resolve(run.action, run.blueprint)) {
        const where = batch.kind === 'kafka-event' ? ` (${record.topic}-${record.partition} offset ${record.offset})` : '';
        problems.push(
          `${batch.file}${where}: no action "${run.action}" is registered (registered: ${known}); scaffold it with: npm run new-action -- ${run.action}`
        );
        continue;
      }
      runs.push({
        runId: run.runId,
        action: run.action,
        blueprint: run.blueprint,
        entity: run.entityIdentifier,
        inputs: run.inputs,
        format: run.format,
        ...(run.trigger.origin ? { origin: run.trigger.origin } : {}),
        ...((run.trigger.by.user?.email ?? run.trigger.by.userId) ? { by: run.trigger.by.user?.email ?? run.trigger.by.userId } : {}),
      });
    }
    return { batch, runs, entities, descriptions };
  });
  if (problems.length > 0) throw new InputErrors(problems);
  return plans;
};

export type { BatchPlan, PlannedEntity, PlannedRun };
export { coordinateKey, planBatches };
