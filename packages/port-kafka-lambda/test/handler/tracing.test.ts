import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { kafkaEvent, kafkaRecord, ORG_ID, v1Run } from '../../src/testing/factories.js';
import { run, SOURCE_CONDITION_FLAG, TSX } from '../cli/cli.js';
import { waitFor } from '../helpers/wait.js';

const CHILD = fileURLToPath(new URL('./fixtures/traced-lambda.ts', import.meta.url));
const TRACE_ROOT = '1-6745a1b2-0123456789abcdef01234567';

/** A (sub)segment document as the X-Ray daemon receives it. */
interface SegmentDocument {
  id: string;
  name: string;
  trace_id: string;
  parent_id?: string;
  type?: string;
  annotations?: Record<string, unknown>;
  fault?: boolean;
  error?: boolean;
  subsegments?: SegmentDocument[];
  http?: { request?: { url?: string; method?: string }; response?: { status?: number } };
}

/** Every document in a tree, parents before children, each with its parent's id. */
const flatten = (doc: SegmentDocument, parentId: string | undefined = doc.parent_id): SegmentDocument[] => [
  { ...doc, ...(parentId === undefined ? {} : { parent_id: parentId }) },
  ...(doc.subsegments ?? []).flatMap((child) => flatten(child, doc.id)),
];

/**
 * A stand-in for the X-Ray daemon on 127.0.0.1: the SDK sends each closed
 * subsegment as a UDP datagram `{"format":"json","version":1}\n<document>`.
 */
const startDaemon = async () => {
  const documents: SegmentDocument[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message) => {
    const [header, body] = message.toString('utf8').split('\n');
    if (header !== undefined && JSON.parse(header).format === 'json' && body !== undefined) {
      documents.push(...flatten(JSON.parse(body) as SegmentDocument));
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${socket.address().port}`, documents, close: () => new Promise<void>((r) => socket.close(() => r())) };
};

/** What the child reported on its last stderr line. */
const childReport = (stderr: string) => JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as { xrayLoaded?: boolean };

/** The environment Lambda gives a function (with active tracing, the trace header). */
const lambdaEnv = (emulatorUrl: string, daemonAddress: string) => ({
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  LAMBDA_TASK_ROOT: process.cwd(),
  AWS_LAMBDA_FUNCTION_NAME: 'traced-fn',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_REGION: 'eu-west-1',
  _HANDLER: 'index.handler',
  _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
  AWS_XRAY_DAEMON_ADDRESS: daemonAddress,
  POWERTOOLS_SERVICE_NAME: 'traced-service',
  POWERTOOLS_METRICS_NAMESPACE: 'PortKafkaLambdaTest',
  PORT_ORG_ID: ORG_ID,
  PORT_API_URL: emulatorUrl,
  PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
  PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
});

describe('tracing (Powertools Tracer, PORT_KAFKA_TRACING=true)', () => {
  let emulator: PortEmulator | undefined;
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  afterEach(async () => {
    await daemon?.close();
    await emulator?.close();
    daemon = undefined;
    emulator = undefined;
  });

  it('sends the invocation subsegment and one subsegment per Port call, under it, to the X-Ray daemon', async () => {
    // Prepare
    emulator = await startPortEmulator({ autoCreateRuns: false });
    emulator.createRun({ id: 'r_traced1', action: 'traced' });
    daemon = await startDaemon();
    const event = kafkaEvent([kafkaRecord({ value: v1Run('traced', {}, 'r_traced1') })]);
    // What the stack sets with tracing: true.
    const env = { ...lambdaEnv(emulator.url, daemon.address), PORT_KAFKA_TRACING: 'true' };

    // Act
    const result = await run(TSX, [SOURCE_CONDITION_FLAG, CHILD, JSON.stringify(event)], { env });

    // Assess
    expect(result.code).toBe(0);
    expect(emulator.getRun('r_traced1')?.status).toBe('SUCCESS');
    expect(childReport(result.stderr).xrayLoaded).toBe(true);
    const docs = daemon.documents;
    await waitFor('the invocation subsegment', () => docs.some((d) => d.name === '## index.handler'));
    const invocation = docs.find((d) => d.name === '## index.handler')!;
    expect(invocation.trace_id).toBe(TRACE_ROOT);
    expect(invocation.annotations).toMatchObject({ ColdStart: true, Service: 'traced-service' });
    await waitFor('the Port subsegments', () => docs.filter((d) => d.name.startsWith('Port.')).length >= 3);
    const port = docs.filter((d) => d.name.startsWith('Port.'));
    // The lifecycle's calls and the action's own getRun, each under the invocation's subsegment.
    expect(port.map((d) => d.name)).toEqual(expect.arrayContaining(['Port.getRun', 'Port.updateRun']));
    for (const d of port) {
      expect(d.trace_id).toBe(TRACE_ROOT);
      expect(d.parent_id).toBe(invocation.id);
      expect(d.fault ?? false).toBe(false);
    }
    // Port's HTTP requests (each attempt, and the token request) nest inside the Port subsegments.
    const portIds = new Set(port.map((d) => d.id));
    const http = docs.filter((d) => d.http?.request?.url?.includes('/v1/') === true);
    expect(http.map((d) => new URL(d.http!.request!.url!).pathname)).toEqual(
      expect.arrayContaining(['/v1/auth/access_token', '/v1/actions/runs/r_traced1', '/v1/actions/runs/r_traced1/logs'])
    );
    for (const d of http) expect(portIds.has(d.parent_id ?? '')).toBe(true);
    // Metrics are on too inside Lambda: the child's stdout has the EMF lines.
    expect(result.stdout).toContain('"RunsSucceeded":1');
  });

  it('does not load the tracer or the X-Ray SDK when tracing is off', async () => {
    // Prepare
    emulator = await startPortEmulator({ autoCreateRuns: false });
    emulator.createRun({ id: 'r_untraced1', action: 'traced' });
    const event = kafkaEvent([kafkaRecord({ value: v1Run('traced', {}, 'r_untraced1') })]);
    // Act: the same Lambda environment, without PORT_KAFKA_TRACING.
    const result = await run(TSX, [SOURCE_CONDITION_FLAG, CHILD, JSON.stringify(event)], { env: lambdaEnv(emulator.url, '127.0.0.1:9') });
    // Assess
    expect(result.code).toBe(0);
    expect(emulator.getRun('r_untraced1')?.status).toBe('SUCCESS');
    expect(childReport(result.stderr).xrayLoaded).toBe(false);
  });
});
