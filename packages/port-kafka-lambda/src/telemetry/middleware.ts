import type middy from '@middy/core';
import type { ConsumerMetrics } from './metrics.js';

/**
 * Writes the invocation's metrics once, when the handler returns or throws,
 * and Powertools' ColdStart metric on a container's first invocation. (Not
 * Powertools' `logMetrics` middleware: the counts are kept by ConsumerMetrics,
 * which writes one line per set of dimension values.)
 */
const metricsMiddleware = (metrics: ConsumerMetrics, functionName: string): middy.MiddlewareObj => ({
  before: () => {
    metrics.coldStart(functionName);
  },
  after: () => {
    metrics.flush();
  },
  onError: () => {
    metrics.flush();
  },
});

export { metricsMiddleware };
