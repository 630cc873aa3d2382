/**
 * The Port client's HTTP transport: one JSON request, one attempt, over
 * keep-alive connections, on Node's own http/https modules.
 *
 * Node's modules rather than an HTTP library or `fetch`: they are the smallest
 * cold start (axios and its dependencies were ~270 kB of the bundle and ~45 ms
 * of module init; `fetch` loads undici, ~20 ms, on its first use), and they
 * send `Connection: keep-alive` and report socket failures with their plain
 * codes (ECONNRESET, ECONNREFUSED, ENOTFOUND...), which the retry policy
 * (retry.ts) reads.
 */
import type { ClientRequest, Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';

// Through process.getBuiltinModule, not `import`: an ES module import of
// node:http copies every export, and reading http.WebSocket loads undici,
// ~20 ms of cold start for a getter nothing here uses. Each is loaded when a
// request first needs it (Port is https; only local emulators are http).
const http = () => process.getBuiltinModule('node:http');
const https = () => process.getBuiltinModule('node:https');

interface HttpRequest {
  method: string;
  /** Absolute URL, query included. */
  url: URL;
  headers: Record<string, string>;
  /** Sent as JSON when defined. */
  body?: unknown;
  /** Whole attempt: connecting, sending and reading the answer. */
  timeoutMs: number;
}

interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; its text when it is not JSON; undefined when empty. */
  body: unknown;
}

/**
 * The request got no complete answer: a socket error (`code` as Node reports
 * it) or the attempt's timeout (`ETIMEDOUT`). Holds neither the request's
 * headers nor its body.
 */
class HttpTransportError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'HttpTransportError';
    this.code = code;
  }
}

interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Closes idle keep-alive sockets; the transport stays usable. */
  close(): void;
}

const parseBody = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const createHttpTransport = (): HttpTransport => {
  // One connection pool per client and protocol, reused across invocations of a warm container.
  let httpAgent: HttpAgent | undefined;
  let httpsAgent: HttpAgent | undefined;
  const agentFor = (secure: boolean): HttpAgent =>
    secure ? (httpsAgent ??= new (https().Agent)({ keepAlive: true })) : (httpAgent ??= new (http().Agent)({ keepAlive: true }));

  const send = (request: HttpRequest): Promise<HttpResponse> =>
    new Promise<HttpResponse>((resolve, reject) => {
      const secure = request.url.protocol === 'https:';
      const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
      const options: RequestOptions = {
        method: request.method,
        agent: agentFor(secure),
        headers: {
          ...request.headers,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }),
        },
      };
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A fresh error: Node's own may reference the request, and so its headers.
        reject(new HttpTransportError(error instanceof Error ? error.message : String(error), codeOf(error)));
      };
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new HttpTransportError('the connection closed before the answer was complete', 'ECONNRESET'));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parseBody(Buffer.concat(chunks).toString('utf8')) });
        });
      };
      let req: ClientRequest;
      try {
        req = (secure ? https() : http()).request(request.url, options, onResponse);
      } catch (error) {
        // Refused before anything was sent (a header Node will not send): final, not retried.
        fail(error);
        return;
      }
      timer = setTimeout(() => {
        const error = new HttpTransportError(`timeout of ${request.timeoutMs}ms exceeded`, 'ETIMEDOUT');
        fail(error);
        req.destroy(error);
      }, request.timeoutMs);
      req.on('error', fail);
      req.end(payload);
    });

  return {
    send,
    close() {
      httpAgent?.destroy();
      httpsAgent?.destroy();
    },
  };
};

export type { HttpRequest, HttpResponse, HttpTransport };
export { createHttpTransport, HttpTransportError };
