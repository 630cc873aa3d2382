// The Lambda entry the first-run benchmark bundles: the template's app (its
// actions' schemas, change handlers and parser load at init as they would in a
// team's function) plus one action that makes no Port calls of its own, so the
// run's round trips are the lifecycle's alone.

import { createLambdaHandler, defineAction } from 'port-kafka-lambda';
import * as z from 'zod';
import app from '../../../lambda/app.js';

const FIRST_RUN_ACTION = 'bench_first_run';

const firstRun = defineAction({
  identifier: FIRST_RUN_ACTION,
  inputs: z.looseObject({}),
  async handler({ runId }) {
    return { summary: `first run ${runId} done` };
  },
});

export const handler = createLambdaHandler({ ...app, actions: [...app.actions, firstRun] });
