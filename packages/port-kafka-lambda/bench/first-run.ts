/**
 * The first run on a cold process: what a user who clicks a button in Port
 * waits for when the run meets a new container. A fresh Node process imports
 * the bundled Lambda entry (the construct's esbuild settings) and handles one
 * run, as the Lambda runtime would: module init, then the invocation. Port is
 * the emulator and Secrets Manager a loopback server, both answering every call
 * after a fixed latency, so round trips show in the times.
 *
 * Times are measured from the moment the process is spawned, on the clock of
 * this process (the servers run here): the pickup log and SUCCESS as Port sees
 * them, i.e. when the emulator received those requests.
 *
 * The critical path is counted from the servers' request logs: each request's
 * interval runs from its arrival to its answer, requests whose intervals
 * overlap were in flight together, so the number of groups of overlapping
 * requests up to the SUCCESS report is the number of sequential round trips.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_EMULATOR_CLIENT, startPortEmulator } from '../src/emulator/index.js';
import { kafkaEvent, kafkaRecord, v1Run } from '../src/testing/factories.js';
import { startDynamoDb } from '../test/helpers/dynamodb.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port-credentials-AbCdEf';
const ACTION = 'bench_first_run';
const FLOOR = ['secret', 'token', 'status check', 'report'];

interface Interval {
  label: string;
  start: number;
  end: number;
}

/**
 * Loopback stand-in for Secrets Manager's JSON 1.1 protocol (POST / with
 * X-Amz-Target: secretsmanager.GetSecretValue), answering after `latencyMs`,
 * with a log of each request's interval.
 */
const startSecretsManager = async (latencyMs: number, secretString: string) => {
  const log: Interval[] = [];
  const server = http.createServer((req, res) => {
    const start = Date.now();
    const target = String(req.headers['x-amz-target'] ?? '');
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const ok = target === 'secretsmanager.GetSecretValue';
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify(
            ok
              ? { ARN: SECRET_ARN, Name: 'port-credentials', SecretString: secretString, VersionId: 'v1', CreatedDate: 1.7e9 }
              : { __type: 'UnknownOperationException' }
          )
        );
        log.push({ label: `secret (${target.replace('secretsmanager.', '')})`, start, end: Date.now() });
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/**
 * The run ledger as the stack deploys it: a DynamoDB table (dynalite, in
 * memory), behind a proxy that answers every call after `latencyMs` and logs
 * each call's interval. The ledger's writes are all UpdateItem; within one run
 * they are, in order, the claim, the stored report and the delivered mark.
 */
const startLedger = async (latencyMs: number) => {
  const db = await startDynamoDb();
  const table = await db.createLedgerTable();
  const target = new URL(db.endpoint);
  const log: Interval[] = [];
  const server = http.createServer((req, res) => {
    const start = Date.now();
    const operation = String(req.headers['x-amz-target'] ?? '').replace('DynamoDB_20120810.', '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      setTimeout(() => {
        const forward = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
            answer.on('end', () => log.push({ label: `ledger ${operation}`, start, end: Date.now() }));
          }
        );
        forward.end(Buffer.concat(chunks));
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    table,
    region: db.region,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
};

/** Names the ledger's UpdateItem calls of one run by their place: claim, stored report, delivered mark. */
const nameLedgerCalls = (intervals: Interval[]): Interval[] => {
  const names = ['ledger claim', 'ledger store report', 'ledger delivered'];
  let updates = 0;
  return intervals.map((i) => (i.label === 'ledger UpdateItem' ? { ...i, label: names[updates++] ?? i.label } : i));
};

/**
 * What the child process runs: import the bundle (module init), invoke the
 * handler once with the event, write the times. Plain ESM so that nothing but
 * Node and the bundle loads.
 */
const CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
const [bundle, eventFile, outFile] = process.argv.slice(1);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const importStart = Date.now();
const { handler } = await import(bundle);
const initDone = Date.now();
const context = {
  callbackWaitsForEmptyEventLoop: false, functionName: 'port-kafka-first-run', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:port-kafka-first-run', memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', logGroupName: '/aws/lambda/port-kafka-first-run',
  logStreamName: '2026/12/01/[$LATEST]abcdef', getRemainingTimeInMillis: () => 60000 - (Date.now() - initDone),
  done() {}, fail() {}, succeed() {},
};
const response = await handler(event, context);
const done = Date.now();
writeFileSync(outFile, JSON.stringify({ importStart, initDone, done, response, rss: process.resourceUsage().maxRSS }));
process.exit(0);
`;

interface ChildTimes {
  importStart: number;
  initDone: number;
  done: number;
  response: unknown;
  /** kB */
  rss: number;
}

interface FirstRun {
  /** All relative to the spawn, ms. */
  importStart: number;
  initDone: number;
  pickupLog: number;
  success: number;
  handlerDone: number;
  /** Sequential groups of requests up to the SUCCESS report: their requests, and when the group's first arrived (from the spawn). */
  path: { labels: string[]; at: number }[];
  rssMb: number;
}

/** Merges intervals that overlap (in flight together) into groups, in time order. */
const sequentialGroups = (intervals: Interval[]): Interval[][] => {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const groups: Interval[][] = [];
  let end = -Infinity;
  for (const i of sorted) {
    const last = groups.at(-1);
    if (last && i.start < end) {
      last.push(i);
      end = Math.max(end, i.end);
    } else {
      groups.push([i]);
      end = i.end;
    }
  }
  return groups;
};

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/**
 * Spawns `runs` fresh processes, each handling one new run, and returns the
 * figures of each. `nodeModules` is where the bundle's external imports (the
 * AWS SDK, when it is not bundled) resolve, as the runtime's own copy would.
 */
const measureFirstRuns = async (options: {
  bundle: string;
  scratch: string;
  latencyMs: number;
  runs: number;
  /** With the DynamoDB run ledger, as the stack deploys the function; else the in-memory one. */
  ledger: boolean;
  /**
   * An on-demand init (the default), which starts reading the credentials and
   * getting the token during init; false: one that does not (provisioned concurrency).
   */
  prefetch?: boolean;
}): Promise<FirstRun[]> => {
  const emulator = await startPortEmulator({ latencyMs: options.latencyMs });
  const secrets = await startSecretsManager(options.latencyMs, JSON.stringify(DEFAULT_EMULATOR_CLIENT));
  const ledger = options.ledger ? await startLedger(options.latencyMs) : undefined;
  const results: FirstRun[] = [];
  try {
    for (let i = 0; i < options.runs; i++) {
      const runId = `r_firstrun${String(i).padStart(4, '0')}${Date.now().toString(36)}`;
      emulator.createRun({ id: runId, action: ACTION });
      const eventFile = join(options.scratch, `first-run-${i}.json`);
      const outFile = join(options.scratch, `first-run-${i}.out.json`);
      writeFileSync(eventFile, JSON.stringify(kafkaEvent([kafkaRecord({ value: v1Run(ACTION, {}, runId), partition: 0, offset: 42 })])));
      const fromRequest = emulator.requests.length;
      const fromSecret = secrets.log.length;
      const fromLedger = ledger?.log.length ?? 0;
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        // What the construct and Lambda set.
        NODE_OPTIONS: '--enable-source-maps',
        AWS_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: 'port-kafka-first-run',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        AWS_LAMBDA_INITIALIZATION_TYPE: options.prefetch === false ? 'provisioned-concurrency' : 'on-demand',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
        AWS_SESSION_TOKEN: 'bench-session-token',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
        PORT_ORG_ID: 'org_sYG4DOJZNGy8bYnt',
        PORT_API_URL: emulator.url,
        PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN,
        POWERTOOLS_LOG_LEVEL: 'WARN',
        ...(ledger ? { RUN_LEDGER_TABLE: ledger.table, AWS_ENDPOINT_URL_DYNAMODB: ledger.url } : {}),
      };
      const spawnedAt = Date.now();
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, options.bundle, eventFile, outFile], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (code !== 0) throw new Error(`first-run child exited ${code}: ${stderr}`);
      const times = JSON.parse(readFileSync(outFile, 'utf8')) as ChildTimes;
      const requests = emulator.requests.slice(fromRequest);
      const pickup = requests.find((r) => r.method === 'POST' && r.path.endsWith('/logs'));
      const report = requests.find((r) => r.method === 'PATCH' && (r.body as { status?: string } | undefined)?.status === 'SUCCESS');
      if (!pickup || !report || emulator.getRun(runId)?.status !== 'SUCCESS') {
        throw new Error(`the first run did not end SUCCESS: ${JSON.stringify(times.response)} ${stderr}`);
      }
      const label = (r: (typeof requests)[number]): string =>
        r.path === '/v1/auth/access_token'
          ? 'token'
          : r.method === 'GET' && r.path.startsWith('/v1/actions/runs/')
            ? 'status check'
            : r.method === 'POST' && r.path.endsWith('/logs')
              ? 'pickup log'
              : r.method === 'PATCH' && r.path.startsWith('/v1/actions/runs/')
                ? 'report'
                : `${r.method} ${r.path}`;
      const intervals: Interval[] = [
        ...secrets.log.slice(fromSecret),
        ...nameLedgerCalls(ledger?.log.slice(fromLedger) ?? []),
        ...requests.map((r) => ({ label: label(r), start: r.at, end: r.answeredAt ?? r.at })),
      ].filter((i) => i.start <= report.at);
      results.push({
        importStart: times.importStart - spawnedAt,
        initDone: times.initDone - spawnedAt,
        pickupLog: pickup.at - spawnedAt,
        success: report.at - spawnedAt,
        handlerDone: times.done - spawnedAt,
        path: sequentialGroups(intervals).map((g) => ({
          labels: g.map((i) => i.label.replace(/^secret \(GetSecretValue\)$/, 'secret')),
          at: (g[0]?.start ?? spawnedAt) - spawnedAt,
        })),
        rssMb: times.rss / 1024,
      });
      // Let the emulator's and the secrets server's sockets of this child close.
      await sleep(20);
    }
  } finally {
    await emulator.close();
    await secrets.close();
    await ledger?.close();
  }
  return results;
};

/** One line per figure: medians over the runs, and the critical path of the median run. */
const describeFirstRuns = (label: string, runs: FirstRun[]): string[] => {
  const m = (f: (r: FirstRun) => number) => median(runs.map(f)).toFixed(0);
  const byTime = [...runs].sort((a, b) => a.success - b.success);
  const typical = byTime[Math.floor(byTime.length / 2)] as FirstRun;
  const steps = typical.path
    .map((g) => `${g.labels.length === 1 ? g.labels[0] : `(${g.labels.join(' ∥ ')})`} @${g.at.toFixed(0)}`)
    .join(' → ');
  return [
    `${label}: module init done ${m((r) => r.initDone)} ms, pickup log at Port ${m((r) => r.pickupLog)} ms, SUCCESS at Port ${m(
      (r) => r.success
    )} ms, handler returned ${m((r) => r.handlerDone)} ms, max RSS ${m((r) => r.rssMb)} MB`,
    `  critical path of the median run: ${typical.path.length} sequential round trips (floor ${FLOOR.length}: ${FLOOR.join(', ')}), each with the ms its first request arrived: ${steps}`,
  ];
};

export type { FirstRun };
export { describeFirstRuns, FLOOR, measureFirstRuns, sequentialGroups };
