import type { KeyObject } from 'node:crypto';
import type { SecretEncryption } from '../port/actions.js';
import { decryptClientSideSecretInput, decryptSecretInput } from '../port/crypto.js';

/** Where the keys of the two secret-input formats come from; each is read only when a run needs it. */
interface SecretInputKeys {
  /** The org's client secret: Port-managed `aes256-gcm` uses its first 32 bytes. */
  clientSecret: () => Promise<string>;
  /** The RSA private key of `client-side` encryption. */
  privateKey: () => Promise<KeyObject>;
}

/**
 * Decrypts a run's secret input in the format its action declares
 * (`secretInput({ encryption })`). An input declared without secretInput is
 * taken as Port-managed, the format Port uses unless told otherwise. Object
 * secrets come back as their JSON text.
 */
const decryptRunSecret = async (value: string, encryption: SecretEncryption | undefined, keys: SecretInputKeys): Promise<string> => {
  if (typeof encryption === 'object' && encryption.algorithm === 'client-side') {
    return decryptClientSideSecretInput(value, await keys.privateKey());
  }
  return decryptSecretInput(value, await keys.clientSecret());
};

export type { SecretInputKeys };
export { decryptRunSecret };
