import { createCipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decryptSecretInput } from '../../src/port/crypto.js';
import { SecretInputDecryptionError } from '../../src/port/errors.js';

const CLIENT_SECRET = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo-extra-tail';

/** Port's format: base64([IV 16][ciphertext][tag 16]), key = first 32 bytes of the client secret. */
const encrypt = (plaintext: string, clientSecret = CLIENT_SECRET, iv = randomBytes(16)): string => {
  const key = Buffer.from(clientSecret, 'utf8').subarray(0, 32);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64');
};

const flipByte = (b64: string, index: number): string => {
  const raw = Buffer.from(b64, 'base64');
  const at = index < 0 ? raw.length + index : index;
  raw[at] = (raw[at] ?? 0) ^ 0x01;
  return raw.toString('base64');
};

const decryptError = (encrypted: string, secret = CLIENT_SECRET): SecretInputDecryptionError => {
  try {
    decryptSecretInput(encrypted, secret);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretInputDecryptionError);
    return error as SecretInputDecryptionError;
  }
  throw new Error('expected decryption to fail');
};

describe('decryptSecretInput', () => {
  it('decrypts what Port encrypts', () => {
    expect(decryptSecretInput(encrypt('s3cr3t-value'), CLIENT_SECRET)).toBe('s3cr3t-value');
    expect(decryptSecretInput(encrypt(''), CLIENT_SECRET)).toBe('');
    expect(decryptSecretInput(encrypt('päss wörd ✓'), CLIENT_SECRET)).toBe('päss wörd ✓');
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (plaintext) => {
        expect(decryptSecretInput(encrypt(plaintext), CLIENT_SECRET)).toBe(plaintext);
      }),
      { numRuns: 200 }
    );
  });

  it('uses only the first 32 bytes of the client secret as the key', () => {
    const encrypted = encrypt('value', `${CLIENT_SECRET.slice(0, 32)}different-tail`);
    expect(decryptSecretInput(encrypted, CLIENT_SECRET)).toBe('value');
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 20],
    ['the tag', -1],
  ])('detects tampering with %s', (_part, index) => {
    const error = decryptError(flipByte(encrypt('a value long enough'), index));
    expect(error.message).toMatch(/authentication failed/);
  });

  it('rejects the wrong key', () => {
    const error = decryptError(encrypt('value'), 'another-client-secret-that-is-long-enough');
    expect(error.message).toMatch(/authentication failed/);
  });

  it.each([
    ['', /not base64/],
    ['not base64!', /not base64/],
    ['abc', /not base64/],
    [Buffer.alloc(31).toString('base64'), /31 bytes is too short/],
  ])('rejects malformed input %j', (encrypted, message) => {
    expect(decryptError(encrypted).message).toMatch(message);
  });

  it('rejects a client secret shorter than 32 bytes', () => {
    expect(decryptError(encrypt('value'), 'short').message).toMatch(/shorter than 32 bytes/);
  });

  it('never echoes the value, the plaintext or the key', () => {
    const encrypted = flipByte(encrypt('TOP-SECRET-PLAINTEXT'), 20);
    const error = decryptError(encrypted);
    for (const text of [error.message, JSON.stringify(error), inspect(error, { showHidden: true, depth: 5 })]) {
      expect(text).not.toContain(encrypted);
      expect(text).not.toContain('TOP-SECRET-PLAINTEXT');
      expect(text).not.toContain(CLIENT_SECRET.slice(0, 32));
    }
  });
});
