import type { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { PortKafkaError } from '../errors.js';
import { DurableStartError, type Launch } from './dispatch.js';
import type { DurableRunPayload } from './payload.js';

/** Lambda could not be reached or asked to come back later: the record is retried, the claim kept. */
class DurableStartUnavailableError extends PortKafkaError {
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DurableStartUnavailableError';
  }
}

/** Error names Lambda's Invoke answers for conditions that pass (throttling, a function still updating, service faults). */
const TRANSIENT = new Set([
  'TooManyRequestsException',
  'ServiceException',
  'ResourceNotReadyException',
  'ResourceConflictException',
  'EC2ThrottledException',
  'EC2UnexpectedException',
  'ENILimitReachedException',
  'SubnetIPAddressLimitReachedException',
  'KMSAccessDeniedException',
]);

interface AwsError {
  name?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const isTransient = (error: unknown): boolean => {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsError;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  if (e.name !== undefined && TRANSIENT.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  // No HTTP status at all: the request never got an answer (DNS, connection, timeout).
  return status === undefined || status === 429 || status >= 500;
};

interface LambdaLaunchOptions {
  /** The executor, qualified (alias or version ARN): Lambda starts durable executions only on a qualified function. */
  functionName: string;
  /** The client, created on first use. */
  client: () => Promise<LambdaClient>;
}

/**
 * Starts a run's durable execution with an asynchronous Invoke named after the
 * run (`DurableExecutionName`), so Lambda itself refuses a second execution of
 * the same name: `DurableExecutionAlreadyStartedException` means the run is
 * already being executed (docs.aws.amazon.com/lambda/latest/dg/durable-execution-idempotency.html).
 */
const createLambdaLaunch = (options: LambdaLaunchOptions) => {
  return async (name: string, payload: DurableRunPayload, logger: Logger): Promise<Launch> => {
    const [{ InvokeCommand }, client] = await Promise.all([import('@aws-sdk/client-lambda'), options.client()]);
    try {
      const out = await client.send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: 'Event',
          DurableExecutionName: name,
          Payload: Buffer.from(JSON.stringify(payload), 'utf8'),
        })
      );
      return out.DurableExecutionArn ? { kind: 'started', executionArn: out.DurableExecutionArn } : { kind: 'started' };
    } catch (error) {
      const e = (typeof error === 'object' && error !== null ? error : {}) as AwsError;
      if (e.name === 'DurableExecutionAlreadyStartedException') {
        // Lambda raises it for a name already running with another payload; ours are built from the
        // ledger's claim, so this is the same run (a payload that changed with a deployment, say).
        logger.warn('Lambda reports the durable execution as already started; the existing execution runs the run', {
          execution: name,
          detail: e.message,
        });
        return { kind: 'already-started' };
      }
      const text = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
      if (isTransient(error)) throw new DurableStartUnavailableError(`Could not reach Lambda to start ${name}: ${text}`, { cause: error });
      throw new DurableStartError(text, { cause: error });
    }
  };
};

export { createLambdaLaunch, DurableStartUnavailableError, isTransient };
