// `npm run consume` as a user runs it: a separate process configured by environment
// variables, reading a real Kafka broker set up like Port's and reporting to the Port API
// emulator, stopped with real signals.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Producer } from 'kafkajs';
import { buildConsumer } from '../../src/cli/build-consumer.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { v1Run } from '../../src/testing/factories.js';
import { CLI, type CliResult, linesOf, REPO, run, SOURCE_CONDITION_FLAG } from '../cli/cli.js';
import { waitFor } from '../helpers/wait.js';
import { createProducer, createTopics, type KafkaBroker, type ScramUser, startKafkaBroker } from '../kafka-broker/index.js';

const ORG = 'org_ConsumeCliTest';
const USER: ScramUser = { username: `${ORG}-user`, password: `pw-${randomBytes(10).toString('hex')}`, orgId: ORG };
const TSX = `${REPO}node_modules/.bin/tsx`;
/** `port-kafka-lambda consume`, from source, as `npm run consume` runs it. */
const MAIN = [SOURCE_CONDITION_FLAG, CLI, 'consume'];

let broker: KafkaBroker;
let emulator: PortEmulator;
let producer: Producer;

const env = (overrides: Record<string, string> = {}): Record<string, string> => ({
  PORT_ORG_ID: ORG,
  KAFKA_BROKERS: broker.bootstrapServers,
  KAFKA_USERNAME: USER.username,
  KAFKA_PASSWORD: USER.password,
  KAFKA_CONSUMER_GROUP: `${ORG}.cli`,
  KAFKA_CA_FILE: broker.caPath,
  KAFKA_STARTING_POSITION: 'TRIM_HORIZON',
  KAFKA_BATCH_WINDOW_MS: '50',
  PORT_API_URL: emulator.url,
  PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
  PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
  CONSUMER_NAME: 'consume-cli-test',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  ...overrides,
});

/** A running `consume` process with its output so far (tsx on the sources, or node on a bundle). */
const launch = (
  overrides: Record<string, string> = {},
  command: { bin: string; args: string[]; cwd: string } = { bin: TSX, args: MAIN, cwd: REPO }
) => {
  const { JEST_WORKER_ID: _worker, NODE_OPTIONS: _options, ...inherited } = process.env;
  const child: ChildProcessWithoutNullStreams = spawn(command.bin, command.args, {
    cwd: command.cwd,
    env: { ...inherited, ...env(overrides) },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
};

const createVmRun = (n: number) => {
  const message = v1Run('create_vm', { name: `cli-vm-${n}`, cpu: 2, memory: 4, storage: 50, region: 'eu-west-1' });
  return { runId: String(message.context.runId), value: JSON.stringify(message) };
};

const pickedUp = (runId: string) => emulator.logs(runId).filter((l) => l.message.startsWith('Picked up by consume-cli-test')).length;

const consume = (overrides: Record<string, string>, args: readonly string[] = []): Promise<CliResult> =>
  run(TSX, [...MAIN, ...args], { env: env(overrides) });

beforeAll(async () => {
  broker = await startKafkaBroker({ users: [USER] });
  await createTopics(broker, [{ topic: `${ORG}.runs` }, { topic: `${ORG}.change.log` }]);
  producer = createProducer(broker);
  await producer.connect();
  emulator = await startPortEmulator({ autoCreateRuns: false });
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await emulator?.close();
  await broker?.stop();
});

describe('npm run consume: one clear line for what the user must fix', () => {
  it('refuses a consumer group Port would not allow before connecting (exit 2)', async () => {
    const result = await consume({ KAFKA_CONSUMER_GROUP: 'my-group' });
    expect(result.code).toBe(2);
    expect(linesOf(result.stderr)).toEqual([
      'Invalid consumer configuration:',
      `KAFKA_CONSUMER_GROUP: "my-group" is not a group Port lets you use; expected ${ORG}.<name> or your Kafka username`,
    ]);
  }, 30_000);

  it('names every missing setting, one per line, and never prints the password (exit 2)', async () => {
    const result = await consume({ PORT_ORG_ID: '', KAFKA_USERNAME: '', KAFKA_CONSUMER_GROUP: '' });
    expect(result.code).toBe(2);
    const lines = linesOf(result.stderr);
    expect(lines[0]).toBe('Invalid consumer configuration:');
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['PORT_ORG_ID', 'KAFKA_USERNAME', 'KAFKA_CONSUMER_GROUP']);
    expect(result.stderr + result.stdout).not.toContain(USER.password);
  }, 30_000);

  it('wrong password (exit 1)', async () => {
    const result = await consume({ KAFKA_PASSWORD: 'wrong-password' });
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([
      `Kafka rejected the credentials of user "${USER.username}" (SASL SCRAM-SHA-512 at ${broker.bootstrapServers}): check KAFKA_USERNAME and KAFKA_PASSWORD`,
    ]);
    expect(result.stderr + result.stdout).not.toContain('wrong-password');
  }, 30_000);

  it('a topic the user cannot read (exit 1)', async () => {
    // The username is a group Port allows, so only the topic of another org is refused.
    const result = await consume({ PORT_ORG_ID: 'org_SomeoneElse', KAFKA_CONSUMER_GROUP: USER.username });
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^Kafka denied user "org_ConsumeCliTest-user" reading org_SomeoneElse\.runs: /);
  }, 30_000);

  it('brokers unreachable (exit 1)', async () => {
    const result = await consume({ KAFKA_BROKERS: '127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([
      'Cannot reach the Kafka brokers 127.0.0.1:9 (ECONNREFUSED): check KAFKA_BROKERS or PORT_REGION, and that this network allows outbound TLS to port 9196',
    ]);
  }, 30_000);
});

describe('npm run consume: stopping and restarting', () => {
  it('on SIGTERM finishes the run in hand, commits, exits 0; a restart picks up the rest; no run is lost or run twice', async () => {
    // Every Port call takes 40 ms, so a create_vm run takes a few hundred ms and a signal lands mid-batch.
    emulator.latencyMs = 40;
    const runs = Array.from({ length: 8 }, (_, n) => createVmRun(n));
    for (const r of runs) emulator.createRun({ id: r.runId, action: 'create_vm' });
    await producer.send({ topic: `${ORG}.runs`, messages: runs.map((r) => ({ partition: 0, value: r.value })) });
    const ended = () => runs.filter((r) => emulator.getRun(r.runId)?.status === 'SUCCESS').length;

    const first = launch({ KAFKA_BATCH_SIZE: '3' });
    await waitFor('two runs to end', () => ended() >= 2, 30_000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const endedByFirst = ended();
    expect(endedByFirst).toBeLessThan(8);
    expect(first.output.stdout).toContain('"message":"Stopping: finishing the batch in hand"');
    expect(first.output.stdout).toContain('"message":"Stopped"');
    // Nothing the first process started was left half done.
    expect(runs.filter((r) => emulator.getRun(r.runId)?.status === 'IN_PROGRESS' && pickedUp(r.runId) > 0)).toEqual([]);

    const second = launch({ KAFKA_BATCH_SIZE: '3' });
    await waitFor('every run to end', () => ended() === 8, 30_000);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(runs.map((r) => pickedUp(r.runId))).toEqual(runs.map(() => 1));
    // The password never reaches a log line.
    expect(first.output.stdout + first.output.stderr + second.output.stdout).not.toContain(USER.password);
    emulator.latencyMs = 0;
  }, 90_000);

  it('a second signal exits at once with 130', async () => {
    emulator.latencyMs = 200;
    const runs = Array.from({ length: 3 }, (_, n) => createVmRun(100 + n));
    for (const r of runs) emulator.createRun({ id: r.runId, action: 'create_vm' });
    const consumer = launch({ KAFKA_CONSUMER_GROUP: `${ORG}.second-signal` });
    await producer.send({ topic: `${ORG}.runs`, messages: runs.map((r) => ({ partition: 0, value: r.value })) });
    await waitFor('a run to be picked up', () => runs.some((r) => pickedUp(r.runId) > 0), 30_000);
    consumer.child.kill('SIGTERM');
    // The second signal only after the first was handled: sent too early (a fixed 50 ms on a
    // busy machine) the kernel can merge the two pending SIGTERMs into one.
    await waitFor(
      'the first SIGTERM to be handled',
      () => consumer.output.stdout.includes('Stopping: finishing the batch in hand'),
      30_000
    );
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(130);
    expect(consumer.output.stderr).toContain('SIGTERM again: exiting without waiting for the batch in hand');
    emulator.latencyMs = 0;
  }, 60_000);
});

describe('the container bundle (npm run build:consumer)', () => {
  it('runs with a bare node and no node_modules: consumes a run to SUCCESS and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consumer-bundle-'));
    try {
      const bundle = await buildConsumer(dir);
      const runs = [createVmRun(200)];
      for (const r of runs) emulator.createRun({ id: r.runId, action: 'create_vm' });
      const consumer = launch({ KAFKA_CONSUMER_GROUP: `${ORG}.bundle` }, { bin: process.execPath, args: [bundle], cwd: dir });
      await producer.send({ topic: `${ORG}.runs`, messages: runs.map((r) => ({ partition: 0, value: r.value })) });
      await waitFor('the run to end', () => emulator.getRun(runs[0]?.runId ?? '')?.status === 'SUCCESS', 30_000);
      consumer.child.kill('SIGTERM');
      expect(await consumer.exited).toBe(0);
      expect(consumer.output.stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('durable actions in the consumer', () => {
  const rolloutRun = (n: number) => {
    const message = v1Run('rollout_service', { version: `1.${n}.0`, environment: 'dev' });
    (message as { context: Record<string, unknown> }).context.entity = `svc-${n}`;
    return { runId: String(message.context.runId), value: JSON.stringify(message) };
  };
  const endedAt = (runId: string) => emulator.endings.findIndex((e) => e.runId === runId);

  it('runs a durable action beside the records behind it: the partition moves on, the rollout ends later, once', async () => {
    const rollout = rolloutRun(1);
    const quick = createVmRun(300);
    emulator.createRun({ id: rollout.runId, action: 'rollout_service' });
    emulator.createRun({ id: quick.runId, action: 'create_vm' });
    // 30-second poll intervals take a second: the rollout needs 8 checks, so several seconds.
    const consumer = launch({ KAFKA_CONSUMER_GROUP: `${ORG}.durable1`, DURABLE_WAIT_SCALE: '0.034' });
    await producer.send({ topic: `${ORG}.runs`, messages: [rollout, quick].map((r) => ({ partition: 0, value: r.value })) });

    await waitFor('the rollout to end', () => emulator.getRun(rollout.runId)?.status !== 'IN_PROGRESS', 60_000);

    // The run behind the rollout on its partition did not wait for it.
    expect(emulator.getRun(quick.runId)?.status).toBe('SUCCESS');
    expect(endedAt(quick.runId)).toBeLessThan(endedAt(rollout.runId));
    expect(emulator.getRun(rollout.runId)).toMatchObject({
      status: 'SUCCESS',
      summary: 'Rolled out svc-1 1.1.0 to dev: 3/3 replicas healthy',
    });
    expect(emulator.logs(rollout.runId).filter((l) => l.message.startsWith('Rolling out'))).toHaveLength(1);
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
  }, 90_000);

  it('on SIGTERM waits DURABLE_DRAIN_SECONDS, then ends a durable run still executing by its policy (fail)', async () => {
    const rollout = rolloutRun(2);
    emulator.createRun({ id: rollout.runId, action: 'rollout_service' });
    // Real waits: the rollout would take minutes.
    const consumer = launch({ KAFKA_CONSUMER_GROUP: `${ORG}.durable2`, DURABLE_DRAIN_SECONDS: '1' });
    await producer.send({ topic: `${ORG}.runs`, messages: [{ partition: 0, value: rollout.value }] });
    await waitFor('the rollout to start', () => emulator.logs(rollout.runId).some((l) => l.message.startsWith('Rolling out')), 60_000);

    consumer.child.kill('SIGTERM');

    expect(await consumer.exited).toBe(0);
    const run = emulator.getRun(rollout.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toBe('interrupted: the consumer stopped while the run was in progress; not retried automatically');
    expect(consumer.output.stdout).toContain('Waiting for durable runs in progress');
  }, 90_000);

  it("the container bundle runs durable actions too (the durable runner's worker ships beside it)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consumer-bundle-durable-'));
    try {
      const bundle = await buildConsumer(dir);
      const rollout = rolloutRun(3);
      emulator.createRun({ id: rollout.runId, action: 'rollout_service' });
      const consumer = launch(
        { KAFKA_CONSUMER_GROUP: `${ORG}.durable3`, DURABLE_WAIT_SCALE: '0.034' },
        { bin: process.execPath, args: [bundle], cwd: dir }
      );
      await producer.send({ topic: `${ORG}.runs`, messages: [{ partition: 0, value: rollout.value }] });
      await waitFor('the rollout to end', () => emulator.getRun(rollout.runId)?.status !== 'IN_PROGRESS', 60_000);
      expect(emulator.getRun(rollout.runId)?.status).toBe('SUCCESS');
      consumer.child.kill('SIGTERM');
      expect(await consumer.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
