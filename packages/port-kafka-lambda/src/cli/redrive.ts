/**
 * `npm run redrive`: what waits on the parking queue and on provisioned mode's
 * on-failure queue, and, when asked, the records fed back through the handler
 * or their runs ended in Port. A dry run unless --apply (or --yes) is given.
 */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { BatchReport } from '../batch/outcome.js';
import { loadConfig } from '../config.js';
import { batchContext } from '../consumer/context.js';
import { createHandler } from '../handler.js';
import type { KafkaRecord } from '../kafka/event.js';
import { createLogger } from '../logging/logger.js';
import { MemoryParker } from '../parking/parker.js';
import { createPortClient } from '../port/client.js';
import { assertCredentialsConfigured, createCredentialsLoader } from '../port/credentials.js';
import { resolvePortBaseUrl } from '../port/regions.js';
import { createRedrive, type RedriveMode, type RedriveQueue, type ReplayOutcome } from '../redrive/redrive.js';
import { createRunEnder } from '../runs/end.js';
import { MemoryRunLedger } from '../runs/ledger/memory.js';
import { errorText } from '../runs/report.js';
import { productionDependencies, runLedger } from '../wiring.js';
import { InputError } from './invoke/errors.js';

const USAGE = `Usage: npm run redrive -- [--replay | --fail] [--apply] [--queue <url>]... [--discard-metadata] [--max <n>]

Lists the messages on the parking queue (PARK_QUEUE_URL) and on provisioned
mode's on-failure queue (FAILED_BATCHES_QUEUE_URL), or on the --queue URLs:
one line per message, topic-partition@offset, reason, and the run if known.
  --replay            feed each parked record back through the app's handler (lambda/app.ts)
  --fail              end each parked record's run FAILURE in Port: "ended by redrive: <reason>"
                      (a run whose report the ledger holds gets that report instead)
  --apply, --yes      act; without it redrive only says what it would do
  --discard-metadata  with --apply, delete on-failure messages: they carry offsets, no run ids
  --max <n>           at most n messages per queue (default 1000)
A message is deleted only after what was asked for it succeeded.
Environment: AWS credentials and region as for the AWS CLI (AWS_ENDPOINT_URL_SQS
for a local SQS server); with --replay or --fail the handler's settings too:
PORT_CLIENT_ID + PORT_CLIENT_SECRET (or PORT_CREDENTIALS_SECRET_ARN), PORT_REGION
or PORT_API_URL, RUN_LEDGER_TABLE (the stack's outputs name the queues and table).
Exit code: 0 done, 1 some messages could not be handled, 2 bad usage or configuration.`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface Args {
  mode: RedriveMode;
  apply: boolean;
  queues: string[];
  discardMetadata: boolean;
  max: number;
}

const parseArgs = (argv: readonly string[]): Args => {
  const args: Args = { mode: 'list', apply: false, queues: [], discardMetadata: false, max: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--replay' || a === '--fail') {
      const mode = a === '--replay' ? 'replay' : 'fail';
      if (args.mode !== 'list' && args.mode !== mode) throw new InputError('--replay and --fail exclude each other');
      args.mode = mode;
    } else if (a === '--apply' || a === '--yes') args.apply = true;
    else if (a === '--discard-metadata') args.discardMetadata = true;
    else if (a === '--queue') {
      const url = argv[++i];
      if (url === undefined || !/^https?:\/\//.test(url)) throw new InputError('--queue needs a queue URL');
      args.queues.push(url);
    } else if (a === '--max') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new InputError('--max needs a positive integer');
      args.max = n;
    } else throw new InputError(`Unknown argument ${a ?? ''}`);
  }
  return args;
};

/** The queues to read: --queue URLs, else the stack's two from the environment. */
const queuesOf = (args: Args, env: NodeJS.ProcessEnv): RedriveQueue[] => {
  if (args.queues.length > 0) return args.queues.map((url) => ({ label: url.split('/').at(-1) ?? url, url }));
  const queues: RedriveQueue[] = [];
  if (env.PARK_QUEUE_URL) queues.push({ label: 'parked', url: env.PARK_QUEUE_URL });
  if (env.FAILED_BATCHES_QUEUE_URL) queues.push({ label: 'failed-batches', url: env.FAILED_BATCHES_QUEUE_URL });
  return queues;
};

const runRedrive = async (argv: readonly string[], io?: Partial<Io>): Promise<number> => {
  const out = io?.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io?.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = io?.env ?? process.env;
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    err(`redrive: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const queues = queuesOf(args, env);
  if (queues.length === 0) {
    err(
      'redrive: no queue: set PARK_QUEUE_URL and/or FAILED_BATCHES_QUEUE_URL (the stack outputs ParkedQueueUrl and FailedBatchesQueueUrl), or pass --queue <url>'
    );
    return 2;
  }

  // The handler's logs would interleave with the lines; only its errors are shown, on stderr's side of the logger.
  const logger = createLogger({ serviceName: 'port-kafka-redrive', logLevel: env.POWERTOOLS_LOG_LEVEL === 'DEBUG' ? 'DEBUG' : 'ERROR' });
  let replay: ((record: KafkaRecord) => Promise<ReplayOutcome>) | undefined;
  let ender;
  let ledger;
  try {
    if (args.mode !== 'list') {
      // REPORT_BATCH_ITEM_FAILURES: a record left for a retry comes back as a failure, not a throw.
      const config = loadConfig({ ...env, REPORT_BATCH_ITEM_FAILURES: 'true' });
      assertCredentialsConfigured(env);
      if (args.mode === 'replay') {
        const { loadApp } = await import('./app.js');
        const app = await loadApp(io?.cwd ?? process.cwd(), env);
        const parker = new MemoryParker();
        let report: BatchReport | undefined;
        // Read through a function: the callback sets it during the await, which TypeScript cannot see.
        const lastReport = (): BatchReport | undefined => report;
        const handler = createHandler({
          ...productionDependencies(app, config, logger),
          // A record the handler parks again stays on the queue it came from, not on a second one.
          parker,
          functionName: 'redrive',
          onReport: (r) => {
            report = r;
          },
        });
        replay = async (record) => {
          parker.records.length = 0;
          report = undefined;
          await handler(
            {
              eventSource: 'SelfManagedKafka',
              bootstrapServers: 'redrive',
              records: { [`${record.topic}-${record.partition}`]: [record] },
            },
            batchContext('redrive', 300_000)
          );
          const parked = parker.records[0];
          if (parked !== undefined) return { done: false, detail: `parked again: ${parked.reason}: ${parked.detail}` };
          const outcome = lastReport()?.outcomes[0];
          if (outcome === undefined || outcome.status === 'retry') {
            return { done: false, detail: `left for a retry: ${outcome?.detail ?? outcome?.reason ?? 'no outcome'}` };
          }
          return { done: true, detail: `${outcome.status} (${outcome.reason})` };
        };
      } else {
        const port = createPortClient({
          baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
          credentials: createCredentialsLoader({ env }),
        });
        ledger = config.runLedgerTable === undefined ? new MemoryRunLedger() : runLedger(config);
        ender = createRunEnder({
          port,
          ledger,
          owner: `redrive/${randomUUID().slice(0, 8)}`,
          notEndedMessage: 'Run could not be ended in Port; its message stays on the queue',
        });
      }
    }
  } catch (error) {
    err(`redrive: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }

  const sqs = new SQSClient({});
  try {
    const summary = await createRedrive({
      sqs,
      queues,
      mode: args.mode,
      apply: args.apply,
      discardMetadata: args.discardMetadata,
      max: args.max,
      ...(replay ? { replay } : {}),
      ...(ender ? { ender } : {}),
      ...(ledger ? { ledger } : {}),
      logger,
      out,
    }).run();
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    err(`redrive: ${errorText(error)}`);
    return 1;
  } finally {
    sqs.destroy();
  }
};

export { runRedrive };
