import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

const FUNCTION_NAME = 'port-kafka-lambda-local';

/**
 * A Lambda context for one local invocation. The handler reads its deadline
 * from getRemainingTimeInMillis (it stops starting runs and times out
 * running ones near it), so the budget counts down from the call, as in Lambda.
 */
const localContext = (budgetMs: number, now: () => number = Date.now): Context => {
  const start = now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${FUNCTION_NAME}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${FUNCTION_NAME}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, budgetMs - (now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export { FUNCTION_NAME, localContext };
