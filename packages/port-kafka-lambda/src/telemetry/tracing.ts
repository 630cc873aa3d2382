import type { Tracer } from '@aws-lambda-powertools/tracer';
import type middy from '@middy/core';
import type { PortClient } from '../port/client.js';

type TracerModule = typeof import('@aws-lambda-powertools/tracer');
type TracerMiddlewareModule = typeof import('@aws-lambda-powertools/tracer/middleware');

interface TracingOptions {
  /** `service` annotation; default POWERTOOLS_SERVICE_NAME. */
  serviceName?: string;
}

/**
 * Optional X-Ray tracing through Powertools Tracer (PORT_KAFKA_TRACING=true,
 * with the function's tracing mode Active). The tracer and the X-Ray SDK are
 * only imported when tracing is on: they are ~100 ms of module loading a cold
 * start should not pay otherwise. The import starts when this is created (at
 * module init, beside the rest of the cold start) and the first invocation
 * waits for it.
 *
 * Each invocation gets Powertools' `## <handler>` subsegment (cold start and
 * service annotations), each Port API call one subsegment named
 * `Port.<method>` (so its retries and token fetch count inside it), and AWS SDK
 * clients passed to {@link Tracing.captureAWSv3Client} their calls.
 */
class Tracing {
  readonly #loading: Promise<{ tracer: Tracer; middleware: ReturnType<TracerMiddlewareModule['captureLambdaHandler']> }>;
  #tracer: Tracer | undefined;

  constructor(options: TracingOptions = {}, load: () => Promise<[TracerModule, TracerMiddlewareModule]> = loadTracer) {
    this.#loading = load().then(([{ Tracer }, { captureLambdaHandler }]) => {
      const tracer = new Tracer(options.serviceName === undefined ? {} : { serviceName: options.serviceName });
      this.#tracer = tracer;
      // The batch response holds only item identifiers; it is not worth a metadata blob per invocation.
      return { tracer, middleware: captureLambdaHandler(tracer, { captureResponse: false }) };
    });
    // A failed import surfaces in the first invocation's middleware, not as an unhandled rejection at init.
    this.#loading.catch(() => undefined);
  }

  /** The Powertools tracer once loaded (undefined before the first invocation has waited for it). */
  get tracer(): Tracer | undefined {
    return this.#tracer;
  }

  /** Opens the invocation's subsegment (after the tracer has loaded) and closes it when the handler ends. */
  middleware(): middy.MiddlewareObj {
    return {
      before: async (request) => {
        const { middleware } = await this.#loading;
        await middleware.before?.(request);
      },
      after: async (request) => {
        const { middleware } = await this.#loading;
        await middleware.after?.(request);
      },
      onError: async (request) => {
        const { middleware } = await this.#loading;
        await middleware.onError?.(request);
      },
    };
  }

  /**
   * Runs `call` in a subsegment named `name` under the current (sub)segment,
   * recording an error it throws. Without a loaded, enabled tracer it just calls.
   */
  async trace<T>(name: string, call: () => Promise<T>): Promise<T> {
    const tracer = this.#tracer;
    if (tracer === undefined || !tracer.isTracingEnabled()) return call();
    return tracer.provider.captureAsyncFunc(name, async (subsegment) => {
      try {
        return await call();
      } catch (error) {
        subsegment?.addError(error instanceof Error ? error : new Error(String(error)));
        throw error;
      } finally {
        subsegment?.close();
      }
    }) as Promise<T>;
  }

  /** Traces an AWS SDK v3 client's calls once the tracer is loaded (the clients are built on first use, after that). */
  captureAWSv3Client<T>(client: T): T {
    const tracer = this.#tracer;
    return tracer === undefined || !tracer.isTracingEnabled() ? client : tracer.captureAWSv3Client(client);
  }
}

const loadTracer = (): Promise<[TracerModule, TracerMiddlewareModule]> =>
  Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]);

/**
 * The Port client with each API call in its own subsegment (`Port.getRun`,
 * `Port.updateRun`, …). Every method but `close` is wrapped; the client itself
 * is unchanged.
 */
const tracePortClient = (port: PortClient, tracing: Tracing): PortClient => {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'close' || typeof key !== 'string') return value;
      let traced = wrapped.get(key);
      if (traced === undefined) {
        const method = value as (...args: unknown[]) => Promise<unknown>;
        traced = (...args: unknown[]) => tracing.trace(`Port.${key}`, () => method.apply(target, args));
        wrapped.set(key, traced);
      }
      return traced;
    },
  });
};

export type { TracingOptions };
export { Tracing, tracePortClient };
