import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { issuePath } from '../validation.js';
import { PortCredentialsError } from './errors.js';

/** Port client credentials (Port app → Credentials). The secret is also the secret-input decryption key. */
interface PortCredentials {
  clientId: string;
  clientSecret: string;
}

const CredentialsEnv = {
  CLIENT_ID: 'PORT_CLIENT_ID',
  CLIENT_SECRET: 'PORT_CLIENT_SECRET',
  SECRET_ARN: 'PORT_CREDENTIALS_SECRET_ARN',
} as const;

/** Shape of the Secrets Manager secret string. */
const PortCredentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);

/** Reads the Port credentials; what the Port client calls before asking for a token. */
interface CredentialsLoader {
  (): Promise<PortCredentials>;
  /**
   * Forgets `stale` if it is still what the loader holds, so the next call reads
   * the secret again: Port refused it, and the secret may have been rotated since
   * this container read it. Absent on loaders with nothing to re-read.
   */
  invalidate?: (stale: PortCredentials) => void;
}

/**
 * Throws a {@link ConfigError} when neither the secret nor both variables are
 * set: checked at cold start, so a deployment without credentials fails at once
 * with one line instead of parking every run.
 */
const assertCredentialsConfigured = (env: NodeJS.ProcessEnv = process.env): void => {
  if (nonEmpty(env[CredentialsEnv.SECRET_ARN]) !== undefined) return;
  if (nonEmpty(env[CredentialsEnv.CLIENT_ID]) !== undefined && nonEmpty(env[CredentialsEnv.CLIENT_SECRET]) !== undefined) return;
  throw new ConfigError(
    `Port credentials are not configured: set ${CredentialsEnv.SECRET_ARN}, or both ${CredentialsEnv.CLIENT_ID} and ${CredentialsEnv.CLIENT_SECRET}`
  );
};

/**
 * Returns a loader of the Port credentials. When both PORT_CLIENT_ID and
 * PORT_CLIENT_SECRET are set (local runs) they win; otherwise the secret named by
 * PORT_CREDENTIALS_SECRET_ARN is read once per container, and again after
 * `invalidate` (Port refused it). Concurrent callers share one fetch; a failed
 * fetch is not cached. Errors ({@link PortCredentialsError}) never include the
 * secret string: JSON.parse messages quote the input, so they are dropped.
 */
const createCredentialsLoader = (opts: {
  env?: NodeJS.ProcessEnv;
  secretsClient?: SecretsManagerClient;
}): CredentialsLoader & { invalidate: NonNullable<CredentialsLoader['invalidate']> } => {
  const env = opts.env ?? process.env;
  let cached: Promise<PortCredentials> | undefined;
  /** What `cached` resolved to, so `invalidate` can tell whether the stale value is still held. */
  let held: PortCredentials | undefined;

  const fromSecretsManager = async (): Promise<PortCredentials> => {
    const secretId = nonEmpty(env[CredentialsEnv.SECRET_ARN]);
    if (secretId === undefined) {
      throw new PortCredentialsError(
        `Port credentials are not configured: set ${CredentialsEnv.SECRET_ARN}, or both ${CredentialsEnv.CLIENT_ID} and ${CredentialsEnv.CLIENT_SECRET}`,
        false
      );
    }
    // Loaded on first use, not at cold start: the SDK client is ~60 ms of module
    // initialisation, and batches with nothing to report never need it.
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = opts.secretsClient ?? new sdk.SecretsManagerClient({});
    let secretString: string | undefined;
    try {
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
      secretString = out.SecretString;
    } catch (error) {
      // AWS SDK errors carry request ids and the secret id, never the value.
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw new PortCredentialsError(`Could not read Port credentials secret ${secretId}: ${name}`, true, {
        cause: error,
      });
    }
    if (secretString === undefined) {
      throw new PortCredentialsError(`Port credentials secret ${secretId} has no SecretString (binary secrets are not supported)`, false);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      throw new PortCredentialsError(`Port credentials secret ${secretId} is not valid JSON`, false);
    }
    const result = PortCredentialsSchema.safeParse(parsed);
    if (!result.success) {
      const fields = result.error.issues.map((issue) => issuePath(issue.path)).join(', ');
      throw new PortCredentialsError(
        `Port credentials secret ${secretId} must be JSON {"clientId","clientSecret"} with non-empty strings; invalid: ${fields}`,
        false
      );
    }
    return { clientId: result.data.clientId, clientSecret: result.data.clientSecret };
  };

  const load = () => {
    const clientId = nonEmpty(env[CredentialsEnv.CLIENT_ID]);
    const clientSecret = nonEmpty(env[CredentialsEnv.CLIENT_SECRET]);
    if (clientId !== undefined && clientSecret !== undefined) {
      return Promise.resolve({ clientId, clientSecret });
    }
    if (cached === undefined) {
      const promise = fromSecretsManager();
      cached = promise;
      promise.then(
        (value) => {
          if (cached === promise) held = value;
        },
        () => {
          if (cached === promise) cached = undefined;
        }
      );
    }
    return cached;
  };
  const invalidate = (stale: PortCredentials): void => {
    // Only the value Port refused: a refresh another caller already made is kept.
    if (held !== undefined && held.clientId === stale.clientId && held.clientSecret === stale.clientSecret) {
      cached = undefined;
      held = undefined;
    }
  };
  return Object.assign(load, { invalidate });
};

export type { CredentialsLoader, PortCredentials };
export { assertCredentialsConfigured, CredentialsEnv, createCredentialsLoader, PortCredentialsSchema };
