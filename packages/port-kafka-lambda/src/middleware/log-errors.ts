import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';

/**
 * Logs an invocation-level failure by name and message only. Middy's
 * error-logger hands the whole request (the event, with every record) to its
 * logger; Port messages can hold personal data and encrypted inputs, so the
 * event never reaches a log line here.
 */
const logErrors = (logger: Logger): middy.MiddlewareObj => ({
  onError: async (request) => {
    const error = request.error;
    logger.error('Invocation failed', {
      error: error ? `${error.name}: ${error.message}` : 'unknown error',
    });
  },
});

export { logErrors };
