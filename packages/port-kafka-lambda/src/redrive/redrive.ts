import type { Logger } from '@aws-lambda-powertools/logger';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PortKafkaError } from '../errors.js';
import type { KafkaRecord } from '../kafka/event.js';
import type { RunEnder } from '../runs/end.js';
import { entryState, type RunLedger } from '../runs/ledger/ledger.js';
import { errorText, failureReport } from '../runs/report.js';
import { type QueueItem, readQueueItem } from './messages.js';

/**
 * Redrive: what is on the parking queue and on provisioned mode's on-failure
 * queue, one line per message, and then, when asked, either the records fed
 * back through the app's handler (`replay`) or their runs ended FAILURE in Port
 * (`fail`). Nothing changes without `apply`: a dry run says what it would do. A
 * message is deleted only once what was asked for it succeeded; every other
 * message is made visible again for the next redrive.
 */

type RedriveMode = 'list' | 'replay' | 'fail';

/** What became of a record fed back through the handler. */
type ReplayOutcome =
  /** Handled (the run was reported, ended before, or the change processed). */
  | { done: true; detail: string }
  /** Not handled: left for a retry, or parked again (then `detail` says why). */
  | { done: false; detail: string };

interface RedriveQueue {
  /** How lines name the queue, e.g. `parked`, `failed-batches`. */
  label: string;
  url: string;
}

interface RedriveOptions {
  sqs: SQSClient;
  queues: readonly RedriveQueue[];
  mode: RedriveMode;
  apply: boolean;
  /** Delete on-failure metadata messages (they name no run) once listed; needs `apply`. */
  discardMetadata?: boolean;
  /** At most this many messages per queue (default 1000). */
  max?: number;
  /** Received messages stay hidden from others this long while redrive works (default 300 s). */
  visibilityTimeoutSeconds?: number;
  /** replay: runs the app's handler on one record. */
  replay?: (record: KafkaRecord) => Promise<ReplayOutcome>;
  /** fail: ends runs (with the ledger, so a record arriving meanwhile cannot start them). */
  ender?: RunEnder;
  /** fail: whether a stored report exists (sent instead of a plain FAILURE). */
  ledger?: RunLedger;
  logger: Logger;
  out: (line: string) => void;
}

interface RedriveSummary {
  messages: number;
  /** Messages whose records were replayed or runs ended, and deleted. */
  done: number;
  /** Messages left in the queue because what was asked failed (named in the lines). */
  failed: number;
  /** Messages left because nothing could be done for them here. */
  left: number;
}

const coordinates = (item: QueueItem): string => {
  if (item.kind === 'parked') return `${item.parked.topic}-${item.parked.partition}@${item.parked.offset}`;
  if (item.kind === 'batch-metadata') {
    return item.ranges.map((r) => `${r.topic}-${r.partition ?? '?'}@${r.first}..${r.last}`).join(' ');
  }
  return '(unreadable)';
};

/** One line per message: where the record was, why it is here, and its run if the record says. */
const describe = (label: string, item: QueueItem): string => {
  if (item.kind === 'parked') {
    const run = item.runId === undefined ? 'no run' : `run ${item.runId}${item.action === undefined ? '' : ` (${item.action})`}`;
    const truncated = item.parked.truncated ? '; the record did not fit the message, only its coordinates are here' : '';
    return `${label} ${coordinates(item)} ${item.parked.reason}: ${run}: ${item.parked.detail.split('\n')[0] ?? ''}${truncated}`;
  }
  if (item.kind === 'batch-metadata') {
    return `${label} ${coordinates(item)} ${item.condition ?? 'batch-failed'}: batch metadata only, no records and so no run ids`;
  }
  return `${label} ${item.kind}: ${item.detail}`;
};

/** The record a parked message carries, as Lambda delivered it. */
const recordOf = (item: Extract<QueueItem, { kind: 'parked' }>): KafkaRecord | undefined => {
  const p = item.parked;
  if (p.truncated || typeof p.value !== 'string') return undefined;
  return {
    topic: p.topic,
    partition: p.partition,
    offset: p.offset,
    timestamp: p.timestamp ?? 0,
    timestampType: 'CREATE_TIME',
    ...(p.key === undefined || p.key === null ? {} : { key: p.key }),
    value: p.value,
    headers: [],
  };
};

const createRedrive = (options: RedriveOptions) => {
  const { sqs, out, logger } = options;
  const visibility = options.visibilityTimeoutSeconds ?? 300;

  /** Every message of the queue (up to `max`), hidden from others while redrive holds them. */
  const receiveAll = async (queue: RedriveQueue): Promise<Message[]> => {
    const max = options.max ?? 1000;
    const messages: Message[] = [];
    while (messages.length < max) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, max - messages.length),
          VisibilityTimeout: visibility,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        })
      );
      if (!got.Messages || got.Messages.length === 0) break;
      messages.push(...got.Messages);
    }
    return messages;
  };

  const remove = (queue: RedriveQueue, message: Message) =>
    sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));

  /** Visible again at once: the next redrive (or a person) sees it. */
  const giveBack = (queue: RedriveQueue, message: Message) =>
    sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));

  /** Ends the run of a parked record; returns the line's ending, or throws. */
  const endRun = async (item: Extract<QueueItem, { kind: 'parked' }>, runId: string): Promise<string> => {
    const ender = options.ender;
    if (ender === undefined) throw new Error('redrive --fail needs Port (and, when RUN_LEDGER_TABLE is set, the run ledger)');
    const log = logger.createChild({ persistentKeys: { runId } });
    const stored = options.ledger === undefined ? undefined : await options.ledger.get(runId);
    if (stored !== undefined && entryState(stored, Date.now()) === 'reported') {
      // The action ran and its report waits: that is how the run ended, not "failed by redrive".
      await ender.resend(stored, log);
      return `sent its stored report (${stored.report?.patch.status ?? '?'})`;
    }
    const reason = `${item.parked.reason}: ${item.parked.detail.split('\n')[0] ?? ''}`;
    const ending = await ender.end(
      runId,
      { action: item.action ?? stored?.action ?? 'unknown', policy: 'fail' },
      () => failureReport(runId, `ended by redrive: ${reason}`, `Ended by redrive: its record ${coordinates(item)} was parked (${reason})`),
      log
    );
    if (ending === 'ended') return 'ended FAILURE';
    if (ending === 'resent') return 'sent its stored report';
    if (ending === 'already-ended') return 'had already ended in Port (or Port no longer has it)';
    throw new Error('another attempt holds the run right now; try again later');
  };

  /** What to do with one message; returns whether it is done (and may be deleted). */
  const act = async (label: string, item: QueueItem): Promise<{ done: boolean; line: string; failed: boolean }> => {
    const head = describe(label, item);
    if (item.kind === 'batch-metadata') {
      const discard = options.discardMetadata === true;
      const note = 'the sweeper ends runs this backend claimed; re-read these offsets from Kafka for the others';
      if (!discard) return { done: false, failed: false, line: `${head} -> left (${note}; --discard-metadata deletes it)` };
      return options.apply
        ? { done: true, failed: false, line: `${head} -> deleted (${note})` }
        : { done: false, failed: false, line: `${head} -> would delete (${note})` };
    }
    if (item.kind === 'unreadable') return { done: false, failed: false, line: `${head} -> left` };
    if (options.mode === 'list') return { done: false, failed: false, line: head };

    if (options.mode === 'replay') {
      const record = recordOf(item);
      if (record === undefined)
        return { done: false, failed: false, line: `${head} -> left: no record to replay (only its coordinates were kept)` };
      if (!options.apply) return { done: false, failed: false, line: `${head} -> would replay through the handler` };
      try {
        if (options.replay === undefined) throw new PortKafkaError('redrive --replay needs the handler to replay through');
        const outcome = await options.replay(record);
        return outcome.done
          ? { done: true, failed: false, line: `${head} -> replayed: ${outcome.detail}` }
          : { done: false, failed: true, line: `${head} -> replay did not finish it, left: ${outcome.detail}` };
      } catch (error) {
        return { done: false, failed: true, line: `${head} -> replay failed, left: ${errorText(error)}` };
      }
    }

    // fail
    if (item.runId === undefined) return { done: false, failed: false, line: `${head} -> left: no run to end` };
    if (!options.apply)
      return {
        done: false,
        failed: false,
        line: `${head} -> would end run ${item.runId} FAILURE ("ended by redrive: ${item.parked.reason}")`,
      };
    try {
      return { done: true, failed: false, line: `${head} -> ${await endRun(item, item.runId)}` };
    } catch (error) {
      return { done: false, failed: true, line: `${head} -> could not end it, left: ${errorText(error)}` };
    }
  };

  return {
    async run(): Promise<RedriveSummary> {
      const summary: RedriveSummary = { messages: 0, done: 0, failed: 0, left: 0 };
      for (const queue of options.queues) {
        const messages = await receiveAll(queue);
        out(
          `${queue.label}: ${messages.length} message(s)${messages.length === (options.max ?? 1000) ? ' (the limit; run again for more)' : ''}`
        );
        summary.messages += messages.length;
        for (const message of messages) {
          const item = readQueueItem(message.Body);
          const { done, failed, line } = await act(queue.label, item);
          out(line);
          if (done) {
            // Only now, after it succeeded: a failed delete leaves a message whose work is done, which a redrive repeats harmlessly.
            await remove(queue, message);
            summary.done++;
          } else {
            await giveBack(queue, message).catch(() => undefined);
            if (failed) summary.failed++;
            else summary.left++;
          }
        }
      }
      const verb = options.apply ? '' : ' (dry run: nothing was changed; add --apply to act)';
      out(
        `${summary.messages} message(s): ${summary.done} done and deleted, ${summary.failed} failed, ${summary.left} left${options.mode === 'list' ? '' : verb}`
      );
      return summary;
    },
  };
};

export type { RedriveMode, RedriveOptions, RedriveQueue, RedriveSummary, ReplayOutcome };
export { createRedrive };
