import { constants, createCipheriv, type KeyObject, publicEncrypt, randomBytes } from 'node:crypto';

/** Encrypts a secret input the way Port does: base64([IV 16][ciphertext][tag 16]), key = first 32 bytes of the client secret. */
const encryptSecretInput = (plaintext: string, clientSecret: string): string => {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(clientSecret, 'utf8').subarray(0, 32), iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64');
};

/**
 * Encrypts a secret input the way Port's browser does for client-side encryption:
 * base64([IV 12][AES key wrapped with the RSA public key, OAEP SHA-256][ciphertext][tag 16]).
 * `publicKey` is the PEM put in the action's `encryption.key`, or its KeyObject.
 */
const encryptClientSideSecretInput = (plaintext: string, publicKey: string | KeyObject): string => {
  const aesKey = randomBytes(32);
  const iv = randomBytes(12);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, aesKey);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, wrapped, ciphertext, cipher.getAuthTag()]).toString('base64');
};

export { encryptClientSideSecretInput, encryptSecretInput };
