import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/errors.js';
import { assertCredentialsConfigured, createCredentialsLoader } from '../../src/port/credentials.js';
import { PortCredentialsError } from '../../src/port/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port-credentials-AbCdEf';

interface SecretsCall {
  target: string | undefined;
  body: { SecretId?: string };
}

/**
 * Loopback stand-in for Secrets Manager's JSON 1.1 protocol: POST / with
 * X-Amz-Target: secretsmanager.GetSecretValue. `answers` are served in order, the
 * last one repeats.
 */
const startSecretsServer = async (answers: Array<{ status: number; body: unknown; delayMs?: number }>) => {
  const calls: SecretsCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        target: req.headers['x-amz-target'] as string | undefined,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: string },
      });
      const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? { status: 500, body: {} };
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer.body));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' },
    maxAttempts: 1,
  });
  return {
    calls,
    client,
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

const secretAnswer = (secretString: string) => ({
  status: 200,
  body: { ARN: SECRET_ARN, Name: 'port-credentials', SecretString: secretString, VersionId: 'v1', CreatedDate: 1.7e9 },
});

const caught = async (promise: Promise<unknown>): Promise<PortCredentialsError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortCredentialsError);
    return error as PortCredentialsError;
  }
  throw new Error('expected a PortCredentialsError');
};

let sm: Awaited<ReturnType<typeof startSecretsServer>> | undefined;
afterEach(async () => {
  await sm?.close();
  sm = undefined;
});

describe('createCredentialsLoader', () => {
  beforeEach(() => {
    sm = undefined;
  });

  it('uses PORT_CLIENT_ID/PORT_CLIENT_SECRET when both are set, without calling Secrets Manager', async () => {
    sm = await startSecretsServer([secretAnswer('{"clientId":"sm-id","clientSecret":"sm-secret"}')]);
    const load = createCredentialsLoader({
      env: { PORT_CLIENT_ID: 'env-id', PORT_CLIENT_SECRET: 'env-secret', PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN },
      secretsClient: sm.client,
    });

    await expect(load()).resolves.toEqual({ clientId: 'env-id', clientSecret: 'env-secret' });
    expect(sm.calls).toHaveLength(0);
  });

  it('reads the secret named by PORT_CREDENTIALS_SECRET_ARN when only one env var is set', async () => {
    sm = await startSecretsServer([secretAnswer('{"clientId":"sm-id","clientSecret":"sm-secret","extra":1}')]);
    const load = createCredentialsLoader({
      env: { PORT_CLIENT_ID: 'env-id', PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN },
      secretsClient: sm.client,
    });

    await expect(load()).resolves.toEqual({ clientId: 'sm-id', clientSecret: 'sm-secret' });
    expect(sm.calls).toEqual([{ target: 'secretsmanager.GetSecretValue', body: { SecretId: SECRET_ARN } }]);
  });

  it('fetches once per container, sharing the fetch between concurrent callers', async () => {
    sm = await startSecretsServer([{ ...secretAnswer('{"clientId":"a","clientSecret":"b"}'), delayMs: 30 }]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });

    const concurrent = await Promise.all([load(), load(), load()]);
    const later = await load();

    expect(concurrent).toEqual([
      { clientId: 'a', clientSecret: 'b' },
      { clientId: 'a', clientSecret: 'b' },
      { clientId: 'a', clientSecret: 'b' },
    ]);
    expect(later).toEqual({ clientId: 'a', clientSecret: 'b' });
    expect(sm.calls).toHaveLength(1);
  });

  it('does not cache a failed fetch', async () => {
    sm = await startSecretsServer([
      { status: 400, body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." } },
      secretAnswer('{"clientId":"a","clientSecret":"b"}'),
    ]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });

    const error = await caught(load());
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ResourceNotFoundException');
    expect(error.message).toContain(SECRET_ARN);

    await expect(load()).resolves.toEqual({ clientId: 'a', clientSecret: 'b' });
    expect(sm.calls).toHaveLength(2);
  });

  it('rejects a secret that is not JSON without quoting it', async () => {
    const secretString = 'clientSecret=VERY-SECRET-VALUE';
    sm = await startSecretsServer([secretAnswer(secretString)]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });

    const error = await caught(load());

    expect(error.message).toContain('is not valid JSON');
    expect(error.retryable).toBe(false);
    for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })]) {
      expect(text).not.toContain('VERY-SECRET-VALUE');
    }
  });

  it('names the invalid fields, not their values', async () => {
    sm = await startSecretsServer([secretAnswer('{"clientId":"","clientSecret":12345678901234}')]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });

    const error = await caught(load());

    expect(error.message).toContain('invalid: clientId, clientSecret');
    expect(inspect(error, { depth: 10 })).not.toContain('12345678901234');
  });

  it('reads the secret again after the value it holds is invalidated (Port refused it; it may have been rotated)', async () => {
    sm = await startSecretsServer([
      secretAnswer('{"clientId":"a","clientSecret":"old"}'),
      secretAnswer('{"clientId":"a","clientSecret":"new"}'),
    ]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });
    const old = await load();

    load.invalidate(old);
    const fresh = await load();
    const later = await load();

    expect(fresh).toEqual({ clientId: 'a', clientSecret: 'new' });
    expect(later).toEqual(fresh);
    expect(sm.calls).toHaveLength(2);
  });

  it('keeps a value read after the refused one: a second caller invalidating the old value does not read again', async () => {
    sm = await startSecretsServer([
      secretAnswer('{"clientId":"a","clientSecret":"old"}'),
      secretAnswer('{"clientId":"a","clientSecret":"new"}'),
    ]);
    const load = createCredentialsLoader({ env: { PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN }, secretsClient: sm.client });
    const old = await load();
    load.invalidate(old);
    await load();

    load.invalidate(old);
    const again = await load();

    expect(again).toEqual({ clientId: 'a', clientSecret: 'new' });
    expect(sm.calls).toHaveLength(2);
  });

  it('makes missing credentials a configuration error (checked at cold start)', () => {
    expect(() => assertCredentialsConfigured({})).toThrow(ConfigError);
    expect(() => assertCredentialsConfigured({ PORT_CLIENT_ID: 'id', PORT_CLIENT_SECRET: ' ' })).toThrow(
      /^Port credentials are not configured: set PORT_CREDENTIALS_SECRET_ARN, or both PORT_CLIENT_ID and PORT_CLIENT_SECRET$/
    );
    expect(() => assertCredentialsConfigured({ PORT_CREDENTIALS_SECRET_ARN: SECRET_ARN })).not.toThrow();
    expect(() => assertCredentialsConfigured({ PORT_CLIENT_ID: 'id', PORT_CLIENT_SECRET: 'secret' })).not.toThrow();
  });

  it('explains what to set when nothing is configured', async () => {
    const load = createCredentialsLoader({ env: {} });

    const error = await caught(load());

    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/PORT_CREDENTIALS_SECRET_ARN.*PORT_CLIENT_ID.*PORT_CLIENT_SECRET/);
  });
});
