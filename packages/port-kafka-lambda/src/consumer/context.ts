import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

interface BatchContext extends Context {
  /**
   * From now on report no time left: the handler then starts no new run and
   * leaves those records uncommitted for whoever consumes next, while runs
   * already started finish (their deadline timer was armed at start).
   */
  drain(): void;
}

/**
 * The Lambda context the handler gets for one batch, outside Lambda (the
 * consumer, and `npm run invoke` through tools/invoke/context.ts). The handler reads its
 * deadline from getRemainingTimeInMillis, so the budget counts down from the
 * call, as the function timeout does in Lambda.
 */
const batchContext = (name: string, budgetMs: number, now: () => number = Date.now): BatchContext => {
  const start = now();
  let draining = false;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: String(Math.round(process.constrainedMemory() / 1024 / 1024) || 0),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => (draining ? 0 : Math.max(0, budgetMs - (now() - start))),
    drain: () => {
      draining = true;
    },
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export type { BatchContext };
export { batchContext };
