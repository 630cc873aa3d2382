import type { Logger } from '@aws-lambda-powertools/logger';
import { isDurable } from '../actions/define.js';
import type { ActionRegistry } from '../actions/registry.js';
import { OutcomeStatus, type RecordOutcome } from '../batch/outcome.js';
import type { ChangeContext, ChangeHandlerDefinition } from '../changes/define.js';
import { effectiveMatch, matchesChange } from '../changes/define.js';
import { changeFor } from '../changes/entity.js';
import type { UnknownActionPolicy } from '../config.js';
import type { DurableRunStarter } from '../durable/dispatch.js';
import type { DecodedRecord } from '../kafka/decode.js';
import { isObject } from '../messages/common.js';
import { type CustomRunParser, normalizeChange, normalizeRun } from '../messages/normalize.js';
import type { PortClient } from '../port/client.js';
import { portTopics, TopicKind, topicKind } from '../port/kafka.js';
import { type Deadline, MAX_TIMER_MS } from '../runs/deadline.js';
import type { RunExecutor } from '../runs/execute.js';
import { foreignChange, foreignRun } from './ownership.js';

interface RouterOptions {
  actions: ActionRegistry;
  changeHandlers: readonly ChangeHandlerDefinition[];
  runs: RunExecutor;
  /** Where runs of durable actions go (the run executor); without it they would run inline, where ctx.step does not exist. */
  durable?: DurableRunStarter;
  port: PortClient;
  logger: Logger;
  orgId?: string;
  /** BACKEND_ENVIRONMENT: take only runs whose payload's `environment` equals it. */
  environment?: string;
  unknownAction: UnknownActionPolicy;
  customRunParser?: CustomRunParser;
  /** Change handlers' signal aborts this long before the Lambda deadline. */
  deadlineMarginMs: number;
}

/** Per-invocation state shared by all partitions of one batch. */
interface BatchState {
  deadline: Deadline;
  /** Run ids already handled in this batch: duplicates run once. */
  seenRuns: Set<string>;
}

type Routed = Omit<RecordOutcome, 'topic' | 'partition' | 'offset' | 'timestamp'>;

/**
 * Sends a decoded record where it belongs: by topic to runs or changes, then
 * runs to the action registered for their identifier and changes to every
 * matching change handler. Returns the outcome; transient errors are thrown
 * for the caller to classify.
 */
const createRouter = (options: RouterOptions) => {
  const { logger } = options;
  // Worked out once: an `entity` schema narrows an open resourceType to entities.
  const changeHandlers = options.changeHandlers.map((definition) => ({ definition, match: effectiveMatch(definition) }));

  const routeRun = async (record: DecodedRecord, batch: BatchState): Promise<Routed> => {
    const foreign = foreignRun(record.value, options.environment);
    if (foreign) {
      // Another environment's run is still a run: its id makes the debug line findable.
      const runId = isObject(record.value) && typeof record.value.runId === 'string' ? record.value.runId : undefined;
      return { status: OutcomeStatus.Skipped, reason: foreign, ...(runId === undefined ? {} : { runId }) };
    }
    const normalized = normalizeRun(record.value, options.customRunParser);
    if (!normalized.ok) return { status: OutcomeStatus.Invalid, reason: 'schema', detail: normalized.detail };
    const run = normalized.value;
    const ids = { runId: run.runId, action: run.action };
    if (batch.seenRuns.has(run.runId)) return { ...ids, status: OutcomeStatus.Skipped, reason: 'duplicate-in-batch' };
    batch.seenRuns.add(run.runId);

    const action = options.actions.resolve(run.action, run.blueprint);
    if (!action && options.unknownAction === 'skip') {
      logger.warn('No handler registered for this action; run skipped', {
        ...ids,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
      });
      return { ...ids, status: OutcomeStatus.Skipped, reason: 'unknown-action' };
    }
    // A durable action's run is handed to the run executor: the record is done in milliseconds.
    const result =
      action !== undefined && isDurable(action) && options.durable !== undefined
        ? await options.durable.start({ run, action, record })
        : await options.runs.execute({ run, action, record, deadline: batch.deadline });
    const status =
      result.status === 'SUCCESS' ? OutcomeStatus.Succeeded : result.status === 'FAILURE' ? OutcomeStatus.Failed : OutcomeStatus.Skipped;
    return { ...ids, status, reason: result.reason };
  };

  const routeChange = async (record: DecodedRecord, batch: BatchState): Promise<Routed> => {
    const foreign = foreignChange(record.value);
    if (foreign) return { status: OutcomeStatus.Skipped, reason: foreign };
    const normalized = normalizeChange(record.value);
    if (!normalized.ok) return { status: OutcomeStatus.Invalid, reason: 'schema', detail: normalized.detail };
    const change = normalized.value;
    const handlers = changeHandlers.filter((h) => matchesChange(h.match, change)).map((h) => h.definition);
    if (handlers.length === 0) return { status: OutcomeStatus.Skipped, reason: 'no-change-handler' };
    const coordinates = { topic: record.topic, partition: record.partition, offset: record.offset };
    // What is left before the change handlers' signal aborts: the same margin before the Lambda deadline.
    const remainingTimeMs = () => Math.max(0, batch.deadline.remainingMs() - options.deadlineMarginMs);
    let signal: AbortSignal | undefined;
    for (const handler of handlers) {
      // Throws ChangeEntityError when the entity does not fit the handler's schema: parked as a handler error.
      const typed = changeFor(handler, change);
      const context: ChangeContext = {
        logger: logger.createChild({ persistentKeys: { changeHandler: handler.identifier, ...coordinates } }),
        port: options.port,
        record: coordinates,
        // Built on first use: a timer per change is wasted on handlers that never look.
        get signal() {
          const left = remainingTimeMs();
          // With no time left the signal is aborted already, not on the next timer tick,
          // so a handler checking `signal.aborted` before it starts sees it.
          signal ??=
            left === 0
              ? AbortSignal.abort(new DOMException('The Lambda deadline is near', 'TimeoutError'))
              : AbortSignal.timeout(Math.min(left, MAX_TIMER_MS));
          return signal;
        },
        remainingTimeMs,
      };
      await handler.handler(typed, context);
    }
    return { status: OutcomeStatus.Succeeded, reason: handlers.map((h) => h.identifier).join(',') };
  };

  const expected = portTopics(options.orgId ?? '<ORG_ID>');
  const unknownTopicDetail = `topic is neither ${expected.runs} nor ${expected.changeLog}`;

  // A batch holds a handful of topics: classify each name once.
  const kinds = new Map<string, ReturnType<typeof topicKind>>();
  const kindOf = (topic: string) => {
    if (!kinds.has(topic)) kinds.set(topic, topicKind(topic, options.orgId));
    return kinds.get(topic);
  };

  return async (record: DecodedRecord, batch: BatchState): Promise<Routed> => {
    if (record.tombstone) return { status: OutcomeStatus.Skipped, reason: 'tombstone' };
    switch (kindOf(record.topic)) {
      case TopicKind.Runs:
        return routeRun(record, batch);
      case TopicKind.ChangeLog:
        return routeChange(record, batch);
      default:
        return { status: OutcomeStatus.Invalid, reason: 'unknown-topic', detail: unknownTopicDetail };
    }
  };
};

type Router = ReturnType<typeof createRouter>;

export type { BatchState, Routed, Router, RouterOptions };
export { createRouter };
