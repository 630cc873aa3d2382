import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConsumerConfigError, loadConsumerConfig, MAX_BATCH_BYTES } from '../../src/consumer/config.js';
import { PORT_REGIONS } from '../../src/port/regions.js';

const ORG = 'org_sYG4DOJZNGy8bYnt';
const PASSWORD = 'Pa55w0rd-RECOGNISABLE-7f3c9e';

const scratch = mkdtempSync(join(tmpdir(), 'consumer-config-'));
const CA_FILE = join(scratch, 'ca.pem');
writeFileSync(CA_FILE, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const validEnv = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PORT_ORG_ID: ORG,
  KAFKA_USERNAME: 'port-user-1',
  KAFKA_PASSWORD: PASSWORD,
  KAFKA_CONSUMER_GROUP: `${ORG}.workers`,
  ...overrides,
});

const errorOf = (env: NodeJS.ProcessEnv): ConsumerConfigError => {
  try {
    loadConsumerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConsumerConfigError);
    return error as ConsumerConfigError;
  }
  throw new Error('expected a ConsumerConfigError');
};

/** The problem lines, without the "Invalid consumer configuration:" heading. */
const problems = (error: Error): string[] => {
  const [heading, ...lines] = error.message.split('\n');
  expect(heading).toBe('Invalid consumer configuration:');
  return lines;
};

describe('consumer configuration', () => {
  it('has defaults for everything but the org, credentials and group', () => {
    const config = loadConsumerConfig(validEnv());
    expect(config).toEqual({
      orgId: ORG,
      brokers: [...PORT_REGIONS.eu.brokers],
      username: 'port-user-1',
      password: PASSWORD,
      groupId: `${ORG}.workers`,
      topics: [`${ORG}.runs`],
      batchSize: 50,
      batchWindowMs: 500,
      maxBatchBytes: MAX_BATCH_BYTES,
      startingPosition: 'LATEST',
      batchTimeoutMs: 300_000,
      durableDrainMs: 25_000,
      name: expect.stringMatching(/^port-kafka-consumer-[A-Za-z0-9._-]{0,60}$/),
    });
    expect(config).not.toHaveProperty('caFile');
    expect(config).not.toHaveProperty('durableWaitScale');
    expect(MAX_BATCH_BYTES).toBe(6 * 1024 * 1024);
  });

  it('uses the us brokers for PORT_REGION=us, and a copy, not the shared list', () => {
    const config = loadConsumerConfig(validEnv({ PORT_REGION: 'us' }));
    expect(config.brokers).toEqual([...PORT_REGIONS.us.brokers]);
    config.brokers.push('mutated:1');
    expect(PORT_REGIONS.us.brokers).toHaveLength(3);
  });

  it('reads every optional variable', () => {
    const config = loadConsumerConfig(
      validEnv({
        KAFKA_CA_FILE: CA_FILE,
        KAFKA_BATCH_SIZE: '10',
        KAFKA_BATCH_WINDOW_MS: '0',
        KAFKA_STARTING_POSITION: 'TRIM_HORIZON',
        BATCH_TIMEOUT_SECONDS: '60',
        CONSUMER_NAME: 'worker-1',
        DURABLE_DRAIN_SECONDS: '5',
        DURABLE_WAIT_SCALE: '0.01',
      })
    );
    expect(config).toMatchObject({
      durableDrainMs: 5_000,
      durableWaitScale: 0.01,
      caFile: CA_FILE,
      batchSize: 10,
      batchWindowMs: 0,
      startingPosition: 'TRIM_HORIZON',
      batchTimeoutMs: 60_000,
      name: 'worker-1',
    });
  });

  it('refuses a KAFKA_CA_FILE that is missing or holds no certificate, before any connection', () => {
    expect(problems(errorOf(validEnv({ KAFKA_CA_FILE: join(scratch, 'nope.pem') })))).toEqual([
      `KAFKA_CA_FILE: cannot read ${join(scratch, 'nope.pem')} (ENOENT); expected a PEM file with the brokers' CA certificate`,
    ]);
    const notPem = join(scratch, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(problems(errorOf(validEnv({ KAFKA_CA_FILE: notPem })))).toEqual([
      `KAFKA_CA_FILE: ${notPem} holds no PEM certificate; expected -----BEGIN CERTIFICATE-----`,
    ]);
  });

  it('adds the change-log topic with KAFKA_CONSUME_CHANGE_LOG=true', () => {
    expect(loadConsumerConfig(validEnv({ KAFKA_CONSUME_CHANGE_LOG: 'true' })).topics).toEqual([`${ORG}.runs`, `${ORG}.change.log`]);
    expect(loadConsumerConfig(validEnv({ KAFKA_CONSUME_CHANGE_LOG: 'false' })).topics).toEqual([`${ORG}.runs`]);
    expect(problems(errorOf(validEnv({ KAFKA_CONSUME_CHANGE_LOG: 'yes' })))).toEqual([
      expect.stringMatching(/^KAFKA_CONSUME_CHANGE_LOG: /),
    ]);
  });

  it('takes KAFKA_BROKERS as a comma-separated host:port list, trimming blanks', () => {
    expect(loadConsumerConfig(validEnv({ KAFKA_BROKERS: ' localhost:9092 , 10.0.0.7:19196,,' })).brokers).toEqual([
      'localhost:9092',
      '10.0.0.7:19196',
    ]);
  });

  it.each([['localhost'], ['http://broker:9092'], ['broker:'], ['broker:9092/x'], [':9092']])(
    'rejects KAFKA_BROKERS entry %j with one line naming the variable and the entry',
    (entry) => {
      const lines = problems(errorOf(validEnv({ KAFKA_BROKERS: `ok.example.com:9196,${entry}` })));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^KAFKA_BROKERS\b/);
      expect(lines[0]).toContain(JSON.stringify(entry));
    }
  );

  it('rejects a KAFKA_BROKERS list with no entries', () => {
    const lines = problems(errorOf(validEnv({ KAFKA_BROKERS: ' , ' })));
    expect(lines).toEqual([expect.stringMatching(/^KAFKA_BROKERS: is empty/)]);
  });

  describe('consumer group (Port allows <ORG_ID>.<name> or the username)', () => {
    it.each([[`${ORG}.workers`], [`${ORG}.a.b-c`], [`${ORG}.x`]])('accepts %s', (group) => {
      expect(loadConsumerConfig(validEnv({ KAFKA_CONSUMER_GROUP: group })).groupId).toBe(group);
    });

    it('accepts the username', () => {
      expect(loadConsumerConfig(validEnv({ KAFKA_CONSUMER_GROUP: 'port-user-1' })).groupId).toBe('port-user-1');
    });

    it.each([['other.x'], [`${ORG}x.y`], [`${ORG}.`], [ORG], ['org_other.workers'], ['port-user-10']])(
      'rejects %s with one line naming KAFKA_CONSUMER_GROUP',
      (group) => {
        const error = errorOf(validEnv({ KAFKA_CONSUMER_GROUP: group }));
        const lines = problems(error);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^KAFKA_CONSUMER_GROUP: /);
        expect(lines[0]).toContain(`${ORG}.<name>`);
      }
    );

    it('rejects characters Kafka does not allow in a group id', () => {
      expect(problems(errorOf(validEnv({ KAFKA_CONSUMER_GROUP: `${ORG}.bad group` })))).toEqual([
        expect.stringMatching(/^KAFKA_CONSUMER_GROUP: /),
      ]);
    });
  });

  it('gives each missing required variable its own line', () => {
    const lines = problems(errorOf({}));
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual([
      'KAFKA_CONSUMER_GROUP',
      'KAFKA_PASSWORD',
      'KAFKA_USERNAME',
      'PORT_ORG_ID',
    ]);
    for (const line of lines) expect(line).toMatch(/: is required/);
  });

  it.each([['PORT_ORG_ID'], ['KAFKA_USERNAME'], ['KAFKA_PASSWORD'], ['KAFKA_CONSUMER_GROUP']])(
    'names %s alone when only it is missing, treating an empty string as unset',
    (name) => {
      for (const env of [validEnv({ [name]: undefined }), validEnv({ [name]: '' })]) {
        const lines = problems(errorOf(env));
        // A missing org id or username also makes the group unverifiable, but only the parse problem is reported.
        expect(lines).toEqual([expect.stringMatching(new RegExp(`^${name}: is required`))]);
      }
    }
  );

  it('treats empty optional variables as unset (defaults apply)', () => {
    const config = loadConsumerConfig(
      validEnv({
        PORT_REGION: '',
        KAFKA_BROKERS: '',
        KAFKA_CA_FILE: '',
        KAFKA_BATCH_SIZE: '',
        KAFKA_BATCH_WINDOW_MS: '',
        KAFKA_STARTING_POSITION: '',
        KAFKA_CONSUME_CHANGE_LOG: '',
        BATCH_TIMEOUT_SECONDS: '',
        CONSUMER_NAME: '',
      })
    );
    expect(config).toMatchObject({
      brokers: [...PORT_REGIONS.eu.brokers],
      batchSize: 50,
      batchWindowMs: 500,
      startingPosition: 'LATEST',
      topics: [`${ORG}.runs`],
      batchTimeoutMs: 300_000,
    });
    expect(config).not.toHaveProperty('caFile');
  });

  it.each([
    ['PORT_ORG_ID', 'acme'],
    ['PORT_REGION', 'asia'],
    ['KAFKA_BATCH_SIZE', '0'],
    ['KAFKA_BATCH_SIZE', '1.5'],
    ['KAFKA_BATCH_SIZE', 'fifty'],
    ['KAFKA_BATCH_WINDOW_MS', '-1'],
    ['KAFKA_STARTING_POSITION', 'EARLIEST'],
    ['BATCH_TIMEOUT_SECONDS', '5'],
    ['CONSUMER_NAME', 'has space'],
  ])('rejects a bad %s (%j) with one line naming it', (name, value) => {
    expect(problems(errorOf(validEnv({ [name]: value })))).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
  });

  it('lists every problem at once', () => {
    const lines = problems(errorOf(validEnv({ PORT_REGION: 'asia', KAFKA_BATCH_SIZE: '0', KAFKA_USERNAME: '' })));
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['KAFKA_BATCH_SIZE', 'KAFKA_USERNAME', 'PORT_REGION']);
  });

  describe('never reveals the password', () => {
    const leaks = (error: Error): string[] =>
      [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error), String(error.stack)].filter((text) =>
        text.includes(PASSWORD)
      );

    it.each<[string, NodeJS.ProcessEnv]>([
      ['a bad group', validEnv({ KAFKA_CONSUMER_GROUP: 'other.x' })],
      ['a bad org id', validEnv({ PORT_ORG_ID: 'acme' })],
      ['a missing username', validEnv({ KAFKA_USERNAME: undefined })],
      ['bad brokers and batch settings', validEnv({ KAFKA_BROKERS: 'nope', KAFKA_BATCH_SIZE: 'x', PORT_REGION: 'mars' })],
      ['a group equal to the password', validEnv({ KAFKA_CONSUMER_GROUP: `${PASSWORD}!` })],
      ['everything wrong', { KAFKA_PASSWORD: PASSWORD, KAFKA_BROKERS: ':', CONSUMER_NAME: ' ' }],
      // The password pasted into a variable whose value the message would quote.
      ['the password pasted as the group', validEnv({ KAFKA_CONSUMER_GROUP: PASSWORD })],
      ['the password pasted as a broker', validEnv({ KAFKA_BROKERS: `ok.example.com:9196,${PASSWORD}` })],
      ['the password pasted as the brokers and the org id', validEnv({ KAFKA_BROKERS: PASSWORD, PORT_ORG_ID: PASSWORD })],
    ])('in the error for %s (message, cause, stack, inspect)', (_, env) => {
      expect(leaks(errorOf(env))).toEqual([]);
    });

    it('even when quoting would JSON-escape it, and still names the variable', () => {
      const special = 'Sp"ec\\ial-P4ss-RECOG';
      const error = errorOf(validEnv({ KAFKA_PASSWORD: special, KAFKA_BROKERS: special }));
      const lines = problems(error);
      expect(lines).toEqual([expect.stringMatching(/^KAFKA_BROKERS/)]);
      for (const text of [error.message, inspect(error, { depth: 10 })]) {
        expect(text).not.toContain(special);
        expect(text).not.toContain(JSON.stringify(special).slice(1, -1));
        expect(text).not.toContain('RECOG');
      }
    });
  });
});
