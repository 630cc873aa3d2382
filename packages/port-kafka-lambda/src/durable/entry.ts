/**
 * The run executor function's entry, bundled by the stack's RunExecutor
 * construct from this file inside the package, with `port-kafka-lambda-app`
 * bound to the project's app (lambda/app.ts). Lambda runs `handler` as a
 * durable function.
 */
import app from 'port-kafka-lambda-app';
import { createDurableExecutor } from './lambda.js';

export const handler = createDurableExecutor(app);
