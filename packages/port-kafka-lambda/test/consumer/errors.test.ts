import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { type ExplainContext, explainKafkaError, KafkaConsumeError, type KafkaFailureReason } from '../../src/consumer/errors.js';

const ORG = 'org_sYG4DOJZNGy8bYnt';
const PASSWORD = 'Pa55w0rd-RECOGNISABLE-7f3c9e';
const BROKERS = ['b-1-public.example.kafka.eu-west-1.amazonaws.com:9196', 'b-2-public.example.kafka.eu-west-1.amazonaws.com:9196'];
const ctx: ExplainContext = {
  brokers: BROKERS,
  username: `${ORG}-user`,
  groupId: `${ORG}.workers`,
  topics: [`${ORG}.runs`, `${ORG}.change.log`],
  orgId: ORG,
};

/** A Node system error as `net`/`tls` raise it. */
const systemError = (code: string, message: string): Error => Object.assign(new Error(message), { code, syscall: 'connect' });

/** The client's connect failure: one NetworkError per broker under "Cannot connect to any broker.", wrapped twice more. */
const cannotConnect = (perBroker: (broker: string) => Error): MultipleErrors =>
  new MultipleErrors('Consuming failed.', [
    new MultipleErrors('Metadata request failed.', [new MultipleErrors('Cannot connect to any broker.', BROKERS.map(perBroker))]),
  ]);

const SASL_AUTHENTICATE = 36;
const METADATA = 3;

/** Shaped like what @platformatic/kafka throws, as seen against a real broker. */
const trees = {
  wrongPassword: () =>
    cannotConnect(
      (broker) =>
        new NetworkError(`Connection to ${broker} failed.`, {
          cause: new AuthenticationError('SASL authentication failed.', {
            cause: new ResponseError(
              SASL_AUTHENTICATE,
              2,
              { '/': [58, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'] },
              {}
            ),
          }),
        })
    ),
  forbiddenGroup: () => new MultipleErrors('Joining the group failed.', [new ProtocolError(30, null)]),
  forbiddenTopic: () => new MultipleErrors('Metadata request failed.', [new ResponseError(METADATA, 12, { '/topics/0': [29, null] }, {})]),
  bareForbiddenTopic: () => new ProtocolError(29, null),
  unknownTopic: () => new MultipleErrors('Consuming failed.', [new UserError(`Unknown topic ${ORG}.change.log.`)]),
  unreachable: () =>
    cannotConnect(
      (broker) =>
        new NetworkError(`Connection to ${broker} failed.`, {
          cause: systemError('ECONNREFUSED', `connect ECONNREFUSED 127.0.0.1:${broker.split(':')[1] ?? ''}`),
        })
    ),
  unresolvable: () =>
    cannotConnect(
      (broker) =>
        new NetworkError(`Connection to ${broker} failed.`, {
          cause: systemError('ENOTFOUND', `getaddrinfo ENOTFOUND ${broker.split(':')[0] ?? ''}`),
        })
    ),
  timeout: () => new MultipleErrors('Consuming failed.', [new TimeoutError('Request timed out.')]),
  badCa: () =>
    cannotConnect(
      (broker) =>
        new NetworkError(`Connection to ${broker} failed.`, {
          cause: systemError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
        })
    ),
};

const expectOneLine = (error: KafkaConsumeError): void => {
  expect(error).toBeInstanceOf(KafkaConsumeError);
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).not.toContain(PASSWORD);
  expect(error.message.length).toBeGreaterThan(20);
};

describe('explainKafkaError', () => {
  it.each<[keyof typeof trees, KafkaFailureReason, RegExp[]]>([
    ['wrongPassword', 'authentication', [/credentials/, /KAFKA_USERNAME and KAFKA_PASSWORD/]],
    ['forbiddenGroup', 'group-authorization', [/consumer group "org_sYG4DOJZNGy8bYnt\.workers"/, /KAFKA_CONSUMER_GROUP/]],
    ['forbiddenTopic', 'topic-authorization', [/org_sYG4DOJZNGy8bYnt\.runs and org_sYG4DOJZNGy8bYnt\.change\.log/, /PORT_ORG_ID/]],
    ['bareForbiddenTopic', 'topic-authorization', [/PORT_ORG_ID/]],
    ['unknownTopic', 'unknown-topic', [/no topic org_sYG4DOJZNGy8bYnt\.change\.log:/, /KAFKA_CONSUME_CHANGE_LOG/]],
    ['unreachable', 'unreachable', [/\(ECONNREFUSED\)/, /KAFKA_BROKERS/]],
    ['unresolvable', 'unreachable', [/\(ENOTFOUND\)/, /KAFKA_BROKERS/]],
    ['timeout', 'unreachable', [/KAFKA_BROKERS/]],
    ['badCa', 'tls', [/SELF_SIGNED_CERT_IN_CHAIN/, /KAFKA_CA_FILE/]],
  ])('explains %s as %s in one line', (tree, reason, patterns) => {
    const thrown = trees[tree]();
    const explained = explainKafkaError(thrown, ctx);
    expect(explained.reason).toBe(reason);
    expect(explained.cause).toBe(thrown);
    expectOneLine(explained);
    for (const pattern of patterns) expect(explained.message).toMatch(pattern);
  });

  it.each<[keyof typeof trees]>([['wrongPassword'], ['forbiddenGroup'], ['forbiddenTopic']])('names the user for %s', (tree) => {
    expect(explainKafkaError(trees[tree](), ctx).message).toContain(`"${ctx.username}"`);
  });

  it.each<[keyof typeof trees]>([['wrongPassword'], ['unreachable'], ['unresolvable'], ['timeout'], ['badCa']])(
    'names every broker for %s',
    (tree) => {
      const message = explainKafkaError(trees[tree](), ctx).message;
      for (const broker of BROKERS) expect(message).toContain(broker);
    }
  );

  it('prefers the credentials over the network failure they caused', () => {
    // One broker refused the connection, another rejected the password: the password is what to fix.
    const mixed = new MultipleErrors('Cannot connect to any broker.', [
      trees.unreachable(),
      new NetworkError('Connection failed.', {
        cause: new AuthenticationError('SASL authentication failed.', { cause: new ProtocolError(58) }),
      }),
    ]);
    expect(explainKafkaError(mixed, ctx).reason).toBe('authentication');
  });

  it('never includes the password, even when the error tree carries it', () => {
    // The client does not put it in errors, but a wrapper might attach options.
    const carrying = [
      new NetworkError('Connection failed.', { sasl: { username: ctx.username, password: PASSWORD }, cause: trees.wrongPassword() }),
      new MultipleErrors('Consuming failed.', [new ProtocolError(30, null)], { options: { sasl: { password: PASSWORD } } }),
      new NetworkError('Connection failed.', { password: PASSWORD, cause: systemError('ECONNREFUSED', 'connect ECONNREFUSED') }),
      new NetworkError('Connection failed.', { password: PASSWORD, cause: systemError('CERT_HAS_EXPIRED', 'certificate has expired') }),
      new MultipleErrors('Consuming failed.', [new UserError('Unknown topic x.'), new Error('odd')], { password: PASSWORD }),
      Object.assign(new Error('odd'), { config: { password: PASSWORD } }),
    ];
    const reasons = carrying.map((error) => {
      const explained = explainKafkaError(error, ctx);
      expectOneLine(explained);
      return explained.reason;
    });
    expect(reasons).toEqual(['authentication', 'group-authorization', 'unreachable', 'tls', 'unknown-topic', 'other']);
  });

  it('maps anything else to other, quoting the innermost message', () => {
    const explained = explainKafkaError(new MultipleErrors('Outer.', [new ProtocolError(3, null)]), ctx);
    expect(explained.reason).toBe('other');
    expect(explained.message).toBe('Kafka consumer failed: This server does not host this topic-partition.');
    expect(explainKafkaError(new Error('boom'), ctx).message).toBe('Kafka consumer failed: boom');
  });

  it('copes with values that are not errors', () => {
    expect(explainKafkaError('boom', ctx)).toMatchObject({ reason: 'other', message: 'Kafka consumer failed: boom' });
    expect(explainKafkaError(undefined, ctx)).toMatchObject({ reason: 'other', message: 'Kafka consumer failed: undefined' });
    expect(explainKafkaError(null, ctx).reason).toBe('other');
    expect(explainKafkaError({ errors: 'not an array', cause: 42 }, ctx).reason).toBe('other');
    // Plain objects of any shape: a non-string message, a code without a message.
    expect(explainKafkaError({ message: 42 }, ctx)).toMatchObject({ reason: 'other', message: 'Kafka consumer failed: 42' });
    expect(explainKafkaError({ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: { nested: true } }, ctx).reason).toBe('tls');
    expect(explainKafkaError({ cause: { code: 'ECONNREFUSED' } }, ctx).reason).toBe('unreachable');
  });

  it('keeps a multi-line message on one line', () => {
    const explained = explainKafkaError(new MultipleErrors('Outer.', [new Error('first line\nsecond line\r\n  third')]), ctx);
    expect(explained.reason).toBe('other');
    expectOneLine(explained);
    expect(explained.message).toContain('first line second line third');
    const tls = explainKafkaError(systemError('EPROTO', 'write EPROTO\nwrong version number'), ctx);
    expect(tls.reason).toBe('tls');
    expectOneLine(tls);
  });

  it('returns a KafkaConsumeError as it is', () => {
    const already = new KafkaConsumeError('unreachable', 'already explained');
    expect(explainKafkaError(already, ctx)).toBe(already);
  });

  it('does not loop on a cyclic cause or a cyclic error list', () => {
    const selfCause = new NetworkError('Connection failed.');
    Object.defineProperty(selfCause, 'cause', { value: selfCause });

    const a = new MultipleErrors('a', []);
    const b = new MultipleErrors('b', []);
    // Every node lists every node, with a cause back to the root: a naive walk visits 4^depth nodes.
    const fanOut = [a, b, a, b];
    for (const node of [a, b]) {
      Object.defineProperty(node, 'errors', { value: fanOut });
      Object.defineProperty(node, 'cause', { value: a });
    }

    const started = Date.now();
    expect(explainKafkaError(selfCause, ctx).reason).toBe('unreachable');
    const explained = explainKafkaError(a, ctx);
    expect(explained.reason).toBe('other');
    expectOneLine(explained);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(() => inspect(explained)).not.toThrow();
  });

  it('does not overflow the stack on a very deep cause chain', () => {
    let deep: Error = systemError('ECONNREFUSED', 'connect ECONNREFUSED');
    for (let i = 0; i < 5_000; i += 1) deep = new Error(`layer ${i}`, { cause: deep });
    const explained = explainKafkaError(deep, ctx);
    expectOneLine(explained);
  });
});
