import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { secretInput } from '../../src/actions/inputs.js';
import { DEFAULT_EMULATOR_CLIENT } from '../../src/emulator/index.js';
import { RECOMMENDED_SCHEMA } from '../../src/messages/run.js';
import { decryptClientSideSecretInput } from '../../src/port/crypto.js';
import { SecretInputDecryptionError } from '../../src/port/errors.js';
import { createSecretInputsKeyLoader, SecretInputsKeyError } from '../../src/port/secret-inputs-key.js';
import { kafkaEvent, kafkaRecord, lambdaContext, runsEvent } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../../src/testing/harness.js';
import { captureLogs } from '../../src/testing/logs.js';
import { encryptClientSideSecretInput, encryptSecretInput } from '../../src/testing/secrets.js';

/** Real RSA keys from node:crypto, as Port's docs generate them with openssl (2048-bit). */
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const pair = rsa(2048);
const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const decryptionError = (fn: () => unknown): SecretInputDecryptionError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretInputDecryptionError);
    return error as SecretInputDecryptionError;
  }
  throw new Error('expected a SecretInputDecryptionError');
};

describe('client-side encrypted secret inputs', () => {
  it("decrypts Port's layout: [IV 12][RSA-OAEP-SHA256-wrapped AES-256 key, 256 B][ciphertext + 16 B tag]", () => {
    const value = encryptClientSideSecretInput('s3cr3t-värde', publicPem);
    const raw = Buffer.from(value, 'base64');
    expect(raw.length).toBe(12 + 256 + Buffer.byteLength('s3cr3t-värde') + 16);
    expect(decryptClientSideSecretInput(value, pair.privateKey)).toBe('s3cr3t-värde');
  });

  it('decrypts object secrets to their JSON text, and keys of other sizes (the wrapped key is the modulus length)', () => {
    const config = { user: 'deploy', password: 'p@ss' };
    expect(
      JSON.parse(decryptClientSideSecretInput(encryptClientSideSecretInput(JSON.stringify(config), publicPem), pair.privateKey))
    ).toEqual(config);
    const big = rsa(3072);
    const value = encryptClientSideSecretInput('x', big.publicKey);
    expect(Buffer.from(value, 'base64').length).toBe(12 + 384 + 1 + 16);
    expect(decryptClientSideSecretInput(value, big.privateKey)).toBe('x');
  });

  it('refuses a wrong key, a tampered value, a truncated one and non-RSA keys, without quoting the value', () => {
    const value = encryptClientSideSecretInput('top-secret-value', publicPem);
    const wrong = decryptionError(() => decryptClientSideSecretInput(value, rsa(2048).privateKey));
    expect(wrong.message).toBe(
      'Cannot decrypt client-side secret input: the AES key does not unwrap (wrong private key or tampered value)'
    );
    const raw = Buffer.from(value, 'base64');
    raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 1;
    expect(decryptionError(() => decryptClientSideSecretInput(raw.toString('base64'), pair.privateKey)).message).toBe(
      'Cannot decrypt client-side secret input: authentication failed (tampered value)'
    );
    expect(decryptionError(() => decryptClientSideSecretInput(Buffer.alloc(100).toString('base64'), pair.privateKey)).message).toBe(
      'Cannot decrypt client-side secret input: 100 bytes is too short for a 2048-bit key'
    );
    expect(decryptionError(() => decryptClientSideSecretInput('not base64!', pair.privateKey)).message).toBe(
      'Cannot decrypt client-side secret input: not base64 text'
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(decryptionError(() => decryptClientSideSecretInput(value, ec.privateKey)).message).toBe(
      'Cannot decrypt client-side secret input: the key is not an RSA private key'
    );
    expect(decryptionError(() => decryptClientSideSecretInput(value, pair.publicKey as KeyObject)).message).toContain(
      'not an RSA private key'
    );
  });
});

/** Loopback stand-in for Secrets Manager's JSON protocol: serves `answers` in order, the last repeating. */
const startSecretsServer = async (answers: Array<{ status: number; body: unknown }>) => {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId: string }).SecretId);
      const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? { status: 500, body: {} };
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port-secret-inputs-key-AbCdEf';
const secret = (secretString: string) => ({ status: 200, body: { ARN, Name: 'k', SecretString: secretString, VersionId: 'v1' } });

describe('the private key loader', () => {
  let sm: Awaited<ReturnType<typeof startSecretsServer>> | undefined;
  afterEach(async () => {
    await sm?.close();
    sm = undefined;
  });

  it('reads the PEM from Secrets Manager once, on first use, as a PEM or as JSON {"privateKey"}', async () => {
    for (const stored of [privatePem, JSON.stringify({ privateKey: privatePem })]) {
      sm = await startSecretsServer([secret(stored)]);
      const load = createSecretInputsKeyLoader({ env: { PORT_SECRET_INPUTS_PRIVATE_KEY_ARN: ARN }, secretsClient: sm.client });
      expect(sm.calls).toEqual([]);
      const keys = await Promise.all([load(), load(), load()]);
      expect(sm.calls).toEqual([ARN]);
      expect(keys[0]?.asymmetricKeyType).toBe('rsa');
      expect(decryptClientSideSecretInput(encryptClientSideSecretInput('ok', publicPem), keys[0] as KeyObject)).toBe('ok');
      await sm.close();
      sm = undefined;
    }
  });

  it('does not cache a failed read, and never puts the key in an error', async () => {
    sm = await startSecretsServer([
      { status: 400, body: { __type: 'ResourceNotFoundException', message: 'no' } },
      secret('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----'),
      secret(privatePem),
    ]);
    const load = createSecretInputsKeyLoader({ env: { PORT_SECRET_INPUTS_PRIVATE_KEY_ARN: ARN }, secretsClient: sm.client });
    const first = await load().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(SecretInputsKeyError);
    expect((first as SecretInputsKeyError).message).toBe(`Could not read the secret inputs private key ${ARN}: ResourceNotFoundException`);
    expect((first as SecretInputsKeyError).retryable).toBe(true);
    const second = (await load().catch((e: unknown) => e)) as SecretInputsKeyError;
    expect(second.message).toBe(`Secret ${ARN} is not a PEM private key`);
    expect(inspect(second)).not.toContain('not a key');
    expect((await load()).asymmetricKeyType).toBe('rsa');
    expect(sm.calls).toHaveLength(3);
  });

  it('takes PORT_SECRET_INPUTS_PRIVATE_KEY for local runs, and says what to set when neither is there', async () => {
    expect((await createSecretInputsKeyLoader({ env: { PORT_SECRET_INPUTS_PRIVATE_KEY: privatePem } })()).asymmetricKeyType).toBe('rsa');
    await expect(createSecretInputsKeyLoader({ env: {} })()).rejects.toThrow(
      'A client-side encrypted secret input needs the RSA private key: set PORT_SECRET_INPUTS_PRIVATE_KEY_ARN (or PORT_SECRET_INPUTS_PRIVATE_KEY locally)'
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(createSecretInputsKeyLoader({ env: { PORT_SECRET_INPUTS_PRIVATE_KEY: ec } })()).rejects.toThrow(
      'PORT_SECRET_INPUTS_PRIVATE_KEY is a ec key; client-side secret inputs use RSA'
    );
  });
});

describe('ctx.decrypt picks the format the action declares', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const seen: Record<string, string> = {};
  const rotateKeys = defineAction({
    identifier: 'rotate_keys',
    inputs: z.object({
      db: secretInput({ type: 'object', encryption: { algorithm: 'client-side', key: publicPem } }),
      token: secretInput().optional(),
    }),
    async handler(_input, ctx) {
      seen.db = await ctx.decrypt('db');
      if (_input.inputs.token !== undefined) seen.token = await ctx.decrypt('token');
      await ctx.log(`decrypted ${Object.keys(seen).length} secrets`);
      return { summary: 'rotated' };
    },
  });

  const message = (runId: string, inputs: Record<string, unknown>) => ({
    schema: RECOMMENDED_SCHEMA,
    runId,
    action: 'rotate_keys',
    inputs,
    encryptedInputs: Object.keys(inputs),
    trigger: { by: { userId: 'u1' }, origin: 'UI', at: '2026-12-01T00:00:00.000Z' },
  });

  it('client-side with the private key, Port-managed with the client secret, in one run; nothing leaks', async () => {
    h = await createHarness({ actions: [rotateKeys], secretInputsPrivateKey: privatePem, logLevel: 'DEBUG' });
    const db = JSON.stringify({ user: 'app', password: 'hunter2-very-secret' });
    const token = 'ghp_tokenValue0123456789abcdef';
    h.emulator.createRun({ id: 'r_rotate1', action: 'rotate_keys' });
    const logs = captureLogs();
    try {
      await h.handler(
        runsEvent([
          message('r_rotate1', {
            db: encryptClientSideSecretInput(db, publicPem),
            token: encryptSecretInput(token, DEFAULT_EMULATOR_CLIENT.clientSecret),
          }),
        ]),
        lambdaContext()
      );
    } finally {
      logs.restore();
    }
    expect(h.emulator.getRun('r_rotate1')?.status).toBe('SUCCESS');
    expect(seen).toEqual({ db, token });
    expect(logs.text()).not.toContain('hunter2');
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(h.emulator.requests)).not.toContain('hunter2');
  });

  it('fails the run with a readable summary when no private key is configured', async () => {
    h = await createHarness({ actions: [rotateKeys] });
    const previous = { arn: process.env.PORT_SECRET_INPUTS_PRIVATE_KEY_ARN, pem: process.env.PORT_SECRET_INPUTS_PRIVATE_KEY };
    delete process.env.PORT_SECRET_INPUTS_PRIVATE_KEY_ARN;
    delete process.env.PORT_SECRET_INPUTS_PRIVATE_KEY;
    try {
      h.emulator.createRun({ id: 'r_rotate2', action: 'rotate_keys' });
      await h.handler(
        kafkaEvent([kafkaRecord({ value: message('r_rotate2', { db: encryptClientSideSecretInput('{}', publicPem) }) })]),
        lambdaContext()
      );
    } finally {
      if (previous.arn !== undefined) process.env.PORT_SECRET_INPUTS_PRIVATE_KEY_ARN = previous.arn;
      if (previous.pem !== undefined) process.env.PORT_SECRET_INPUTS_PRIVATE_KEY = previous.pem;
    }
    const run = h.emulator.getRun('r_rotate2');
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toContain('needs the RSA private key: set PORT_SECRET_INPUTS_PRIVATE_KEY_ARN');
  });
});
