import { describe, expect, it } from '@jest/globals';
import { DuplicateActionError } from '../../src/actions/registry.js';
import type { BatchReport } from '../../src/batch/outcome.js';
import { DeployConfigError } from '../../src/cdk/config.js';
import { FilterError } from '../../src/cdk/filters.js';
import { ChangeEntityError } from '../../src/changes/entity.js';
import { InputError, InputErrors } from '../../src/cli/invoke/errors.js';
import { ConsumerConfigError } from '../../src/consumer/config.js';
import { KafkaConsumeError } from '../../src/consumer/errors.js';
import { UnsafeKafkaNumberError } from '../../src/consumer/lambda-event.js';
import { ConfigError, PortKafkaError } from '../../src/errors.js';
import { BatchRetryError, InvalidEventError } from '../../src/handler.js';
import { DecodeFailure, RecordDecodeError } from '../../src/kafka/decode.js';
import { ParkingError } from '../../src/parking/sqs.js';
import {
  PortApiError,
  PortAuthError,
  PortBaseUrlError,
  PortCredentialsError,
  PortError,
  PortResponseError,
  PortUnavailableError,
  SecretInputDecryptionError,
  TransportError,
} from '../../src/port/errors.js';
import { DeadlineError, RunClosedError, RunTimeoutError, SecretInputError } from '../../src/runs/errors.js';

const cause = new Error('the original failure');

/** One instance of every error class the package throws, with a cause where its constructor takes one. */
const errors: [{ readonly name: string }, Error, boolean][] = [
  [PortKafkaError, new PortKafkaError('m', { cause }), true],
  [ConfigError, new ConfigError('m', { cause }), true],
  [DuplicateActionError, new DuplicateActionError('deploy'), false],
  [DeployConfigError, new DeployConfigError(['a: b'], { cause }), true],
  [FilterError, new FilterError('m'), false],
  [ChangeEntityError, new ChangeEntityError('h', [{ path: ['diff', 'after'], message: 'm' }], { cause }), true],
  [InputError, new InputError('m', { cause }), true],
  [InputErrors, new InputErrors(['a', 'b']), false],
  [ConsumerConfigError, new ConsumerConfigError('m', { cause }), true],
  [KafkaConsumeError, new KafkaConsumeError('authentication', 'm', { cause }), true],
  [UnsafeKafkaNumberError, new UnsafeKafkaNumberError('offset', 2n ** 60n), false],
  [InvalidEventError, new InvalidEventError('m', { cause }), true],
  [BatchRetryError, new BatchRetryError({ counts: { retry: 1 } } as unknown as BatchReport), false],
  [RecordDecodeError, new RecordDecodeError(DecodeFailure.NotJson, 'm', { cause }), true],
  [ParkingError, new ParkingError('m', { cause }), true],
  [PortError, new PortError('m', true, { cause }), true],
  [PortApiError, new PortApiError({ status: 404, method: 'GET', path: '/p', retryable: false, cause }), true],
  [PortUnavailableError, new PortUnavailableError({ method: 'GET', path: '/p', attempts: 1, reason: 'r', cause }), true],
  [PortAuthError, new PortAuthError('m', {}, { cause }), true],
  [PortResponseError, new PortResponseError('GET', '/p', 'd', { cause }), true],
  [PortBaseUrlError, new PortBaseUrlError('x', 'r', { cause }), true],
  [PortCredentialsError, new PortCredentialsError('m', false, { cause }), true],
  [SecretInputDecryptionError, new SecretInputDecryptionError('m'), false],
  [TransportError, new TransportError('m', 'ECONNRESET'), false],
  [DeadlineError, new DeadlineError('m'), false],
  [RunTimeoutError, new RunTimeoutError('m'), false],
  [RunClosedError, new RunClosedError('r_1'), false],
  [SecretInputError, new SecretInputError('m'), false],
];

describe('error classes', () => {
  it.each(errors.map(([type, error, hasCause]) => [type.name, error, hasCause] as const))(
    '%s extends PortKafkaError, is named after its class and keeps its cause',
    (name, error, hasCause) => {
      expect(error).toBeInstanceOf(PortKafkaError);
      expect(error.name).toBe(name);
      if (hasCause) expect(error.cause).toBe(cause);
    }
  );
});
