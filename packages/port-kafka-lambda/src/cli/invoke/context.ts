import type { Context } from 'aws-lambda';
import { batchContext } from '../../consumer/context.js';

const FUNCTION_NAME = 'port-kafka-lambda-local';

/**
 * A Lambda context for one local invocation: the long-lived consumer's batch
 * context (the budget counts down from the call, as in Lambda, and the handler
 * reads its deadline from it) under the local function name.
 */
const localContext = (budgetMs: number, now: () => number = Date.now): Context => batchContext(FUNCTION_NAME, budgetMs, now);

export { FUNCTION_NAME, localContext };
