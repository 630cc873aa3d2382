import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A loopback stand-in for Lambda's Invoke API, for the durable dispatcher's
 * tests. Written by hand because no open-source Lambda server implements
 * durable execution names (LocalStack's and the AWS SAM CLI's Invoke ignore
 * X-Amz-Durable-Execution-Name). It implements what the dispatcher relies on,
 * following the AWS documentation (durable-execution-idempotency.html and the
 * Invoke API reference):
 *   POST /2015-03-31/functions/{FunctionName}/invocations
 *   - the function must be qualified (alias or version): durable functions are
 *     invoked only that way (durable-invoking.html);
 *   - X-Amz-Durable-Execution-Name is the idempotency key: a running execution
 *     with the same name and payload is returned (202, its ARN), the same name
 *     with a different payload is DurableExecutionAlreadyStartedException (409);
 *   - InvocationType Event answers 202 with X-Amz-Durable-Execution-Arn.
 * Errors are restJson1: the code in x-amzn-ErrorType, the message in the body.
 */

interface InvokeRequest {
  functionName: string;
  invocationType: string | undefined;
  executionName: string | undefined;
  payload: string;
  status: number;
}

interface Execution {
  name: string;
  arn: string;
  payload: unknown;
  payloadHash: string;
  state: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
}

/** A scripted answer for the next matching invocations. */
interface LambdaFault {
  status: number;
  code: string;
  message?: string;
  times?: number;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

const startLambdaInvokeServer = async (options: { functions: readonly string[]; account?: string; region?: string }) => {
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const arnOf = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:${account}:function:${name}`);
  const known = new Set(options.functions.map(arnOf));
  const requests: InvokeRequest[] = [];
  const executions = new Map<string, Execution>();
  const faults: LambdaFault[] = [];
  const listeners: ((execution: Execution) => void)[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      const payload = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const functionName = match ? decodeURIComponent(match[1] ?? '') : '';
      const qualifier = url.searchParams.get('Qualifier');
      const record: InvokeRequest = {
        functionName: qualifier ? `${functionName}:${qualifier}` : functionName,
        invocationType: header('x-amz-invocation-type'),
        executionName: header('x-amz-durable-execution-name'),
        payload,
        status: 0,
      };
      requests.push(record);
      const answer = (status: number, headers: Record<string, string>, body = '') => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
      };
      const error = (status: number, code: string, message: string) =>
        answer(status, { 'x-amzn-errortype': code }, JSON.stringify({ Type: 'User', message }));

      if (req.method !== 'POST' || !match) return error(404, 'UnknownOperationException', `No route for ${req.method} ${url.pathname}`);
      const fault = faults[0];
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.shift();
        return error(fault.status, fault.code, fault.message ?? fault.code);
      }
      const arn = arnOf(record.functionName);
      const unqualified = arn.split(':').slice(0, 7).join(':');
      if (!known.has(unqualified)) return error(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
      const qualifierPart = arn.split(':')[7];
      if (qualifierPart === undefined) {
        return error(
          400,
          'InvalidParameterValueException',
          'Durable functions must be invoked with a qualified ARN (a version or an alias)'
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      const name = record.executionName ?? `auto-${requests.length}`;
      const existing = executions.get(name);
      if (existing) {
        if (existing.payloadHash !== hash(payload)) {
          return error(
            409,
            'DurableExecutionAlreadyStartedException',
            `Durable execution ${name} has already been started with a different payload`
          );
        }
        return answer(202, { 'x-amz-durable-execution-arn': existing.arn });
      }
      const execution: Execution = {
        name,
        arn: `${arn}/durable-execution/${name}/${hash(`${name}${requests.length}`).slice(0, 12)}`,
        payload: parsed,
        payloadHash: hash(payload),
        state: 'RUNNING',
      };
      executions.set(name, execution);
      answer(record.invocationType === 'Event' ? 202 : 200, { 'x-amz-durable-execution-arn': execution.arn });
      for (const listener of listeners) listener(execution);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    region,
    /** Credentials the SDK signs with; the server does not check signatures. */
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
    arnOf,
    requests,
    executions,
    faults,
    /** Called for each execution started (not for idempotent repeats). */
    onStart(listener: (execution: Execution) => void) {
      listeners.push(listener);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

type LambdaInvokeServer = Awaited<ReturnType<typeof startLambdaInvokeServer>>;

export type { Execution, InvokeRequest, LambdaFault, LambdaInvokeServer };
export { startLambdaInvokeServer };
