import { createDecipheriv } from 'node:crypto';
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
      `Cannot decrypt secret input: the client secret is shorter than ${SecretInputFormat.KEY_BYTES} bytes`,
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

export { decryptSecretInput, SecretInputFormat };
