import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ParkedRecord } from '../../src/parking/parker.js';
import { ParkingError, SqsParker } from '../../src/parking/sqs.js';

/** One request as the loopback SQS endpoint saw it. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A tiny stand-in for SQS speaking the AWS JSON 1.0 protocol the SDK uses for
 * SQS. It answers SendMessage with the body's real MD5 (the SDK checks it),
 * or with an SQS error while `failNext` is set.
 */
let server: Server;
let baseUrl: string;
const received: Received[] = [];
let failNext = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (failNext) {
        failNext = false;
        res.statusCode = 400;
        res.setHeader('x-amzn-query-error', 'AWS.SimpleQueueService.NonExistentQueue;Sender');
        res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'no such queue' }));
        return;
      }
      const messageBody = typeof body.MessageBody === 'string' ? body.MessageBody : '';
      res.end(
        JSON.stringify({
          MessageId: '5fea7756-0ea4-451a-a703-a558b933e274',
          MD5OfMessageBody: createHash('md5').update(messageBody, 'utf8').digest('hex'),
        })
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
});

beforeEach(() => {
  received.length = 0;
  failNext = false;
});

function parker(maxMessageBytes?: number): SqsParker {
  const client = new SQSClient({
    region: 'eu-west-1',
    endpoint: baseUrl,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  return new SqsParker({
    queueUrl: `${baseUrl}/123456789012/port-kafka-parked`,
    client,
    now: () => new Date('2026-11-25T12:00:00.000Z'),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
  });
}

const record: ParkedRecord = {
  topic: 'org_sYG4DOJZNGy8bYnt.runs',
  partition: 2,
  offset: 41,
  timestamp: 1764072000000,
  reason: 'not-json',
  detail: 'value is not valid JSON',
  runId: 'r_QOz6WoOB1Q2lmhZZ',
  key: null,
  value: Buffer.from('{not json').toString('base64'),
};

function only(): Received {
  expect(received).toHaveLength(1);
  const first = received[0];
  if (first === undefined) throw new Error('no request received');
  return first;
}

describe('SqsParker', () => {
  it('sends one SendMessage with the record as JSON and reason/topic attributes', async () => {
    await parker().park(record);

    const req = only();
    expect(req.method).toBe('POST');
    expect(req.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(req.body.QueueUrl).toBe(`${baseUrl}/123456789012/port-kafka-parked`);
    expect(req.body.MessageAttributes).toEqual({
      reason: { DataType: 'String', StringValue: 'not-json' },
      topic: { DataType: 'String', StringValue: 'org_sYG4DOJZNGy8bYnt.runs' },
    });
    expect(JSON.parse(String(req.body.MessageBody))).toEqual({
      ...record,
      parkedAt: '2026-11-25T12:00:00.000Z',
      truncated: false,
    });
  });

  it('signs the request with the client credentials', async () => {
    await parker().park(record);
    expect(only().headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\//);
  });

  it('drops key and value and marks the message truncated when it would exceed the limit', async () => {
    const big: ParkedRecord = { ...record, key: 'a2V5', value: 'A'.repeat(300 * 1024) };
    await parker().park(big);

    const sent = JSON.parse(String(only().body.MessageBody)) as Record<string, unknown>;
    expect(sent.truncated).toBe(true);
    expect(sent).not.toHaveProperty('value');
    expect(sent).not.toHaveProperty('key');
    // The coordinates survive, so the record can still be found in Kafka.
    expect(sent).toMatchObject({ topic: record.topic, partition: 2, offset: 41, reason: 'not-json', runId: record.runId });
    expect(Buffer.byteLength(String(only().body.MessageBody))).toBeLessThan(256 * 1024);
  });

  it('counts the attributes towards the limit', async () => {
    const fullBody = JSON.stringify({ ...record, parkedAt: '2026-11-25T12:00:00.000Z', truncated: false });
    // Exactly enough room for the body but not for the attributes.
    await parker(Buffer.byteLength(fullBody) + 10).park(record);
    expect(JSON.parse(String(only().body.MessageBody))).toMatchObject({ truncated: true });
  });

  it('keeps a record that fits exactly', async () => {
    const fullBody = JSON.stringify({ ...record, parkedAt: '2026-11-25T12:00:00.000Z', truncated: false });
    const attrs = 'reason'.length + 'String'.length + 'not-json'.length + 'topic'.length + 'String'.length + record.topic.length;
    await parker(Buffer.byteLength(fullBody) + attrs).park(record);
    expect(JSON.parse(String(only().body.MessageBody))).toMatchObject({ truncated: false, value: record.value });
  });

  it('wraps an SQS failure in a ParkingError naming the coordinates, not the content', async () => {
    failNext = true;
    const error = await parker()
      .park(record)
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(error).toBeInstanceOf(ParkingError);
    expect((error as ParkingError).message).toBe('could not park org_sYG4DOJZNGy8bYnt.runs-2@41 (not-json)');
    expect((error as ParkingError).message).not.toContain(record.value ?? '');
    expect((error as ParkingError).cause).toBeInstanceOf(Error);
  });
});
