import { createCipheriv, randomBytes } from 'node:crypto';

/** Encrypts a secret input the way Port does: base64([IV 16][ciphertext][tag 16]), key = first 32 bytes of the client secret. */
const encryptSecretInput = (plaintext: string, clientSecret: string): string => {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(clientSecret, 'utf8').subarray(0, 32), iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64');
};

export { encryptSecretInput };
