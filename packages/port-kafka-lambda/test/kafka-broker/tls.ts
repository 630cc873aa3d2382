import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOrThrow } from './exec.js';

export interface BrokerTlsMaterial {
  /** PEM of the self-signed CA; clients trust only this. */
  caPem: string;
  /** The same CA as a PEM file (what a client configured by a file path, such as the consumer's KAFKA_CA_FILE, needs). */
  caPath: string;
  /** PKCS12 keystore holding the broker key and its chain (server cert + CA). */
  keystorePath: string;
  keystorePassword: string;
}

/**
 * Creates a throw-away CA and a broker certificate signed by it, with SAN DNS:localhost and
 * IP:127.0.0.1: Node verifies the IP SAN when a client dials 127.0.0.1 (kafkajs sets no SNI
 * servername for IP hosts), and librdkafka/Java verify the host too.
 *
 * openssl rather than keytool: five keytool JVM launches cost several seconds on 2 cores;
 * openssl with EC P-256 keys takes well under a second. Java 17 reads OpenSSL 3's default
 * PKCS12 encryption (PBES2/AES-256, HMAC-SHA256 MAC).
 */
export async function generateBrokerTls(dir: string): Promise<BrokerTlsMaterial> {
  const p = (name: string): string => join(dir, name);
  const keystorePassword = randomBytes(12).toString('hex');
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  await runOrThrow('openssl', [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '7',
    '-subj',
    '/CN=kafka-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runOrThrow('openssl', ['req', '-new', ...ecKey, '-keyout', p('broker.key'), '-out', p('broker.csr'), '-subj', '/CN=localhost']);
  await writeFile(
    p('broker.ext'),
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n')
  );
  await runOrThrow('openssl', [
    'x509',
    '-req',
    '-in',
    p('broker.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '7',
    '-sha256',
    '-extfile',
    p('broker.ext'),
    '-out',
    p('broker.pem'),
  ]);
  await runOrThrow('openssl', [
    'pkcs12',
    '-export',
    '-name',
    'broker',
    '-in',
    p('broker.pem'),
    '-inkey',
    p('broker.key'),
    '-certfile',
    p('ca.pem'),
    '-out',
    p('broker.p12'),
    '-passout',
    `pass:${keystorePassword}`,
  ]);
  return { caPem: await readFile(p('ca.pem'), 'utf8'), caPath: p('ca.pem'), keystorePath: p('broker.p12'), keystorePassword };
}
