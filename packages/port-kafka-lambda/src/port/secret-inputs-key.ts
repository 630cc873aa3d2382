import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PortKafkaError } from '../errors.js';

/**
 * The RSA private key of client-side encrypted secret inputs. Port's browser
 * wraps each value's AES key with the public key written in the action
 * (`secretInput({ encryption: { algorithm: 'client-side', key } })`); only
 * this backend, holding the private key, can read the value.
 */

const SecretInputsKeyEnv = {
  /** Secrets Manager secret whose SecretString is the PEM (or JSON `{"privateKey": "<PEM>"}`). */
  SECRET_ARN: 'PORT_SECRET_INPUTS_PRIVATE_KEY_ARN',
  /** The PEM itself, for local runs (like PORT_CLIENT_SECRET); wins over the ARN. */
  PEM: 'PORT_SECRET_INPUTS_PRIVATE_KEY',
} as const;

/** The private key could not be loaded. Never carries the key, the secret string or its parse error. */
class SecretInputsKeyError extends PortKafkaError {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretInputsKeyError';
    this.retryable = retryable;
  }
}

const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);

/** A PEM from the secret string: the PEM itself, or the `privateKey` field of a JSON object. */
const pemOf = (secretString: string): string | undefined => {
  const text = secretString.trim();
  if (text.startsWith('-----BEGIN')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'privateKey' in parsed && typeof parsed.privateKey === 'string') {
      return parsed.privateKey;
    }
  } catch {
    // Not JSON either: reported below without quoting it.
  }
  return undefined;
};

const toKey = (pem: string, where: string): KeyObject => {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // OpenSSL's message may quote the input: dropped.
    throw new SecretInputsKeyError(`${where} is not a PEM private key`, false);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SecretInputsKeyError(`${where} is a ${key.asymmetricKeyType ?? 'non-RSA'} key; client-side secret inputs use RSA`, false);
  }
  return key;
};

/**
 * Returns a loader of the private key: PORT_SECRET_INPUTS_PRIVATE_KEY (PEM) when
 * set, else the secret named by PORT_SECRET_INPUTS_PRIVATE_KEY_ARN, read on
 * first use (most runs have no client-side secret) and kept for the
 * container's life. A failed read is not cached.
 */
const createSecretInputsKeyLoader = (
  opts: { env?: NodeJS.ProcessEnv; secretsClient?: SecretsManagerClient } = {}
): (() => Promise<KeyObject>) => {
  const env = opts.env ?? process.env;
  let cached: Promise<KeyObject> | undefined;

  const load = async (): Promise<KeyObject> => {
    const pem = nonEmpty(env[SecretInputsKeyEnv.PEM]);
    if (pem !== undefined) return toKey(pem, SecretInputsKeyEnv.PEM);
    const secretId = nonEmpty(env[SecretInputsKeyEnv.SECRET_ARN]);
    if (secretId === undefined) {
      throw new SecretInputsKeyError(
        `A client-side encrypted secret input needs the RSA private key: set ${SecretInputsKeyEnv.SECRET_ARN} (or ${SecretInputsKeyEnv.PEM} locally)`,
        false
      );
    }
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = opts.secretsClient ?? new sdk.SecretsManagerClient({});
    let secretString: string | undefined;
    try {
      secretString = (await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw new SecretInputsKeyError(`Could not read the secret inputs private key ${secretId}: ${name}`, true, { cause: error });
    }
    const found = secretString === undefined ? undefined : pemOf(secretString);
    if (found === undefined) {
      throw new SecretInputsKeyError(`Secret ${secretId} must hold a PEM private key, or JSON {"privateKey": "<PEM>"}`, false);
    }
    return toKey(found, `Secret ${secretId}`);
  };

  return () => {
    if (cached === undefined) {
      const promise = load();
      cached = promise;
      promise.catch(() => {
        if (cached === promise) cached = undefined;
      });
    }
    return cached;
  };
};

export { createSecretInputsKeyLoader, SecretInputsKeyEnv, SecretInputsKeyError };
