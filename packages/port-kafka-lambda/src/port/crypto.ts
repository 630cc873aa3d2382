import { constants, createDecipheriv, type KeyObject, privateDecrypt } from 'node:crypto';
import { SecretInputDecryptionError } from './errors.js';

/**
 * Port secret inputs (Port docs, user-inputs/secret): AES-256-GCM, base64 of
 * [IV 16 bytes][ciphertext][auth tag 16 bytes], key = first 32 bytes of the org client
 * secret (UTF-8). Note the 16-byte IV, not GCM's usual 12.
 */
const SecretInputFormat = {
  IV_BYTES: 16,
  TAG_BYTES: 16,
  KEY_BYTES: 32,
} as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decrypts one Port secret input. Throws {@link SecretInputDecryptionError} on malformed
 * input, a short key, or a failed authentication (tampering / wrong key); the message
 * never includes the value or the key.
 */
const decryptSecretInput = (encrypted: string, clientSecret: string): string => {
  const key = Buffer.from(clientSecret, 'utf8').subarray(0, SecretInputFormat.KEY_BYTES);
  if (key.length < SecretInputFormat.KEY_BYTES) {
    throw new SecretInputDecryptionError(
      `Cannot decrypt secret input: the client secret is shorter than ${SecretInputFormat.KEY_BYTES} bytes`
    );
  }
  const text = typeof encrypted === 'string' ? encrypted.trim() : '';
  if (text === '' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new SecretInputDecryptionError('Cannot decrypt secret input: not base64 text');
  }
  const raw = Buffer.from(text, 'base64');
  if (raw.length < SecretInputFormat.IV_BYTES + SecretInputFormat.TAG_BYTES) {
    throw new SecretInputDecryptionError(`Cannot decrypt secret input: ${raw.length} bytes is too short`);
  }
  const iv = raw.subarray(0, SecretInputFormat.IV_BYTES);
  const tag = raw.subarray(raw.length - SecretInputFormat.TAG_BYTES);
  const ciphertext = raw.subarray(SecretInputFormat.IV_BYTES, raw.length - SecretInputFormat.TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: SecretInputFormat.TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // OpenSSL's message ("Unsupported state or unable to authenticate data") says nothing useful.
    throw new SecretInputDecryptionError('Cannot decrypt secret input: authentication failed (tampered value or wrong client secret)');
  }
};

/**
 * Client-side encrypted secret inputs (Port docs, user-inputs/secret, "client-side"):
 * the browser encrypts with a random AES-256 key and wraps that key with the
 * action's RSA public key (OAEP, SHA-256). The value is base64 of
 * [IV 12 bytes][wrapped key: the RSA modulus length, 256 bytes for 2048-bit][ciphertext][tag 16 bytes].
 */
const ClientSideSecretFormat = {
  IV_BYTES: 12,
  TAG_BYTES: 16,
  AES_KEY_BYTES: 32,
} as const;

/**
 * Decrypts one client-side encrypted secret input with the RSA private key.
 * Throws {@link SecretInputDecryptionError} on malformed input, a key that is
 * not an RSA private key, or a failed unwrap or authentication; the message
 * never includes the value or the key.
 */
const decryptClientSideSecretInput = (encrypted: string, privateKey: KeyObject): string => {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new SecretInputDecryptionError('Cannot decrypt client-side secret input: the key is not an RSA private key');
  }
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const wrappedBytes = Math.ceil(modulusBits / 8);
  const text = typeof encrypted === 'string' ? encrypted.trim() : '';
  if (text === '' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new SecretInputDecryptionError('Cannot decrypt client-side secret input: not base64 text');
  }
  const raw = Buffer.from(text, 'base64');
  const { IV_BYTES, TAG_BYTES, AES_KEY_BYTES } = ClientSideSecretFormat;
  if (raw.length < IV_BYTES + wrappedBytes + TAG_BYTES) {
    throw new SecretInputDecryptionError(
      `Cannot decrypt client-side secret input: ${raw.length} bytes is too short for a ${modulusBits}-bit key`
    );
  }
  const iv = raw.subarray(0, IV_BYTES);
  const wrapped = raw.subarray(IV_BYTES, IV_BYTES + wrappedBytes);
  const ciphertext = raw.subarray(IV_BYTES + wrappedBytes, raw.length - TAG_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  let aesKey: Buffer;
  try {
    aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
  } catch {
    throw new SecretInputDecryptionError(
      'Cannot decrypt client-side secret input: the AES key does not unwrap (wrong private key or tampered value)'
    );
  }
  if (aesKey.length !== AES_KEY_BYTES) {
    throw new SecretInputDecryptionError(
      `Cannot decrypt client-side secret input: the unwrapped key has ${aesKey.length} bytes, not ${AES_KEY_BYTES}`
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretInputDecryptionError('Cannot decrypt client-side secret input: authentication failed (tampered value)');
  } finally {
    aesKey.fill(0);
  }
};

export { ClientSideSecretFormat, decryptClientSideSecretInput, decryptSecretInput, SecretInputFormat };
