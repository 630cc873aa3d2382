import { RECOMMENDED_SCHEMA } from '../../messages/run.js';
import type { ActionNames } from './names.js';

/**
 * The files `npm run new-action` writes. The handler's example inputs, the
 * sample event and the generated test agree with each other, so the test
 * passes as generated; users then change all three together.
 */

const SAMPLE_TARGET = 'example-target';
const SAMPLE_USER = 'you@example.com';

const summaryOf = (n: ActionNames, target: string): string => `${n.identifier} finished for ${target}`;
const logLineOf = (n: ActionNames, who: string, target: string): string => `${who} asked to run ${n.identifier} on ${target}`;

const actionFile = (n: ActionNames): string => `import * as z from 'zod';
import { defineAction } from 'port-kafka-lambda';

/**
 * TODO: say what ${n.identifier} does. Port sends the run's user inputs; declare
 * each one in \`inputs\` (same identifiers as in Port) to get them validated
 * and typed: a run whose inputs do not fit is reported to Port as FAILURE
 * before this code runs.
 */
const ${n.camel} = defineAction({
  identifier: '${n.identifier}',
  description: 'TODO: describe ${n.identifier}',
  inputs: z.object({
    target: z.string().min(1, 'required'),
    dry_run: z.boolean().default(false),
  }),
  async handler({ inputs, trigger }, ctx) {
    const who = trigger.by.user?.email ?? trigger.by.userId ?? 'someone';
    // ctx.log lines show on the run's page in Port while it runs.
    await ctx.log(\`\${who} asked to run ${n.identifier} on \${inputs.target}\${inputs.dry_run ? ' (dry run)' : ''}\`);
    // Do the work here: call your systems, ctx.upsertEntity(...), ctx.addLink(...).
    // Throwing reports the run as FAILURE with the error's message.
    return { summary: \`${n.identifier} finished for \${inputs.target}\` };
  },
});

export { ${n.camel} };
`;

const testFile = (n: ActionNames): string => `import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import app from '../../lambda/app.js';
import { createHarness, type Harness, kafkaEvent, kafkaRecord, lambdaContext, loadEvent } from 'port-kafka-lambda/testing';

/** The sample run written with the action (events/${n.kebab}.json), in the recommended payload template. */
const loadSample = () => loadEvent<{ runId: string; inputs: Record<string, unknown> }>('${n.kebab}.json');

describe('${n.identifier} action', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ app });
  });
  afterAll(() => h.close());

  it('reports SUCCESS with its summary for the sample run', async () => {
    const sample = loadSample();
    h.emulator.createRun({ id: sample.runId, action: '${n.identifier}' });
    const response = await h.handler(kafkaEvent([kafkaRecord({ value: sample })]), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    const run = h.emulator.getRun(sample.runId);
    expect(run?.status).toBe('SUCCESS');
    expect(run?.summary).toBe('${summaryOf(n, SAMPLE_TARGET)}');
    expect(h.emulator.logs(sample.runId).map((l) => l.message)).toContain('${logLineOf(n, SAMPLE_USER, SAMPLE_TARGET)}');
  });

  it('reports FAILURE when a required input is missing', async () => {
    const sample = { ...loadSample(), runId: 'r_${n.camel.slice(0, 12)}NoInputs', inputs: {} };
    h.emulator.createRun({ id: sample.runId, action: '${n.identifier}' });
    await h.handler(kafkaEvent([kafkaRecord({ value: sample })]), lambdaContext());
    const run = h.emulator.getRun(sample.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/Invalid inputs: target/);
  });
});
`;

const sampleEvent = (n: ActionNames, runId: string, orgId: string, at: string): string =>
  `${JSON.stringify(
    {
      schema: RECOMMENDED_SCHEMA,
      runId,
      action: n.identifier,
      blueprint: null,
      entity: null,
      inputs: { target: SAMPLE_TARGET, dry_run: false },
      encryptedInputs: [],
      trigger: { by: { orgId, userId: 'auth0|local-user', user: { email: SAMPLE_USER } }, origin: 'UI', at },
      event: null,
    },
    null,
    2
  )}\n`;

export { actionFile, logLineOf, SAMPLE_TARGET, SAMPLE_USER, sampleEvent, summaryOf, testFile };
