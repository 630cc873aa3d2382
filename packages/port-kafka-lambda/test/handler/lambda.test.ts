import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineApp } from '../../src/app.js';
import { DEFAULT_EMULATOR_CLIENT, startPortEmulator } from '../../src/emulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { createLambdaHandler } from '../../src/lambda.js';
import { entryState } from '../../src/runs/ledger/ledger.js';
import { lambdaContext, ORG_ID, runsEvent, v1Run } from '../../src/testing/factories.js';
import { type DynamoDbServer, startDynamoDb } from '../helpers/dynamodb.js';
import { waitFor } from '../helpers/wait.js';
import { countingAction } from '../lifecycle/support.js';

let db: DynamoDbServer;
beforeAll(async () => {
  db = await startDynamoDb();
});
afterAll(async () => {
  await db.close();
});

/** Sets process variables for the length of `body` (the AWS SDK and the credentials loader read process.env). */
const withProcessEnv = async <T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
};

describe('createLambdaHandler', () => {
  it('fails the cold start with one configuration line when Port credentials are missing', () => {
    const app = defineApp({ actions: [] });

    const build = () => createLambdaHandler(app, { PORT_ORG_ID: ORG_ID, PORT_CLIENT_ID: 'only-the-id' });

    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      /^Port credentials are not configured: set PORT_CREDENTIALS_SECRET_ARN, or both PORT_CLIENT_ID and PORT_CLIENT_SECRET$/
    );
  });

  it('keeps its runs in the DynamoDB table named by RUN_LEDGER_TABLE, found through AWS_ENDPOINT_URL_DYNAMODB', async () => {
    // Prepare: two cold starts ("containers") configured as the stack configures the function.
    const table = await db.createLedgerTable();
    const emulator = await startPortEmulator({ autoCreateRuns: false });
    const counter = countingAction('count_me');
    const app = defineApp({ actions: [counter.action] });
    const runId = 'r_lambdaLedger1';
    emulator.createRun({ id: runId, action: 'count_me' });
    const event = runsEvent([v1Run('count_me', {}, runId)]);
    const env = {
      PORT_ORG_ID: ORG_ID,
      PORT_API_URL: emulator.url,
      PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
      PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
      RUN_LEDGER_TABLE: table,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: db.region,
      AWS_ACCESS_KEY_ID: db.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: db.credentials.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };

    // Act
    const requestsAfterFirst = await withProcessEnv(env, async () => {
      await createLambdaHandler(app, env)(event, lambdaContext());
      const seen = emulator.requests.length;
      await createLambdaHandler(app, env)(event, lambdaContext());
      return { seen, after: emulator.requests.length };
    });

    // Assess
    expect(counter.timesRun(runId)).toBe(1);
    expect(emulator.getRun(runId)?.status).toBe('SUCCESS');
    const entry = await db.ledger(table).get(runId);
    expect(entry).toMatchObject({ runId, action: 'count_me', policy: 'fail', attempt: 1, owner: expect.stringMatching(/\//) });
    expect(entry && entryState(entry, Date.now())).toBe('delivered');
    // The second container learnt from the ledger that the run was reported: it did not even ask Port.
    expect(requestsAfterFirst.after).toBe(requestsAfterFirst.seen);
    await emulator.close();
  });

  describe('on an on-demand cold start', () => {
    const TOKEN_PATH = '/v1/auth/access_token';
    const coldStartEnv = (apiUrl: string) => ({
      PORT_ORG_ID: ORG_ID,
      PORT_API_URL: apiUrl,
      PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
      PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });

    it('gets the Port token during init, and the first run uses it', async () => {
      // Prepare
      const emulator = await startPortEmulator({ autoCreateRuns: false });
      const counter = countingAction('count_me');
      const runId = 'r_lambdaPrefetch1';
      emulator.createRun({ id: runId, action: 'count_me' });
      const env = coldStartEnv(emulator.url);

      // Act
      await withProcessEnv(env, async () => {
        const handler = createLambdaHandler(defineApp({ actions: [counter.action] }), env);
        // Nothing has been invoked yet: only init can have asked for it.
        await waitFor('the token requested during init', () => emulator.requests.some((r) => r.path === TOKEN_PATH && r.status === 200));
        await handler(runsEvent([v1Run('count_me', {}, runId)]), lambdaContext());
      });

      // Assess
      expect(emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(emulator.requests.map((r) => r.path)[0]).toBe(TOKEN_PATH);
      expect(emulator.requests.filter((r) => r.path === TOKEN_PATH)).toHaveLength(1);
      await emulator.close();
    });

    it('does not keep a token request that failed during init: the first run asks again', async () => {
      // Prepare: Port refuses the first token request.
      const emulator = await startPortEmulator({ autoCreateRuns: false });
      emulator.faults.push({ match: { path: TOKEN_PATH }, respond: { status: 403 } });
      const counter = countingAction('count_me');
      const runId = 'r_lambdaPrefetch2';
      emulator.createRun({ id: runId, action: 'count_me' });
      const env = coldStartEnv(emulator.url);

      // Act
      await withProcessEnv(env, async () => {
        const handler = createLambdaHandler(defineApp({ actions: [counter.action] }), env);
        await waitFor('the refused token request of init', () => emulator.requests.some((r) => r.path === TOKEN_PATH && r.status === 403));
        await handler(runsEvent([v1Run('count_me', {}, runId)]), lambdaContext());
      });

      // Assess
      expect(counter.timesRun(runId)).toBe(1);
      expect(emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(emulator.requests.filter((r) => r.path === TOKEN_PATH).map((r) => r.status)).toEqual([403, 200]);
      await emulator.close();
    });
  });
});
