import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const errorOf = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('handler configuration', () => {
  it('has defaults for everything but the org id', () => {
    expect(loadConfig({})).toEqual({
      orgId: undefined,
      region: 'eu',
      apiUrl: undefined,
      credentialsSecretArn: undefined,
      secretInputsPrivateKeyArn: undefined,
      backendEnvironment: undefined,
      parkQueueUrl: undefined,
      runLedgerTable: undefined,
      durableExecutorFunction: undefined,
      durableExecutionTimeoutMs: 86_400_000,
      reportBatchItemFailures: false,
      unknownAction: 'skip',
      partitionConcurrency: 8,
      runStartMinRemainingMs: 20_000,
      runDeadlineMarginMs: 5_000,
    });
  });

  it('reads every variable, treating empty strings as unset', () => {
    const config = loadConfig({
      PORT_ORG_ID: 'org_sYG4DOJZNGy8bYnt',
      PORT_REGION: 'us',
      PORT_API_URL: '',
      REPORT_BATCH_ITEM_FAILURES: 'true',
      UNKNOWN_ACTION: 'fail',
      PARTITION_CONCURRENCY: '3',
    });
    expect(config).toMatchObject({
      orgId: 'org_sYG4DOJZNGy8bYnt',
      region: 'us',
      apiUrl: undefined,
      reportBatchItemFailures: true,
      unknownAction: 'fail',
      partitionConcurrency: 3,
    });
  });

  it.each([
    ['PORT_ORG_ID', 'acme', /PORT_ORG_ID: expected a Port org id/],
    ['PORT_REGION', 'asia', /PORT_REGION: /],
    ['UNKNOWN_ACTION', 'explode', /UNKNOWN_ACTION: /],
    ['REPORT_BATCH_ITEM_FAILURES', 'yes', /REPORT_BATCH_ITEM_FAILURES: /],
    ['PARTITION_CONCURRENCY', '0', /PARTITION_CONCURRENCY: /],
    ['PORT_API_URL', 'ftp://example.com', /PORT_API_URL: /],
  ])('rejects a bad %s with one line naming it', (name, value, pattern) => {
    const error = errorOf({ [name]: value });
    expect(error.message).toMatch(pattern);
    expect(error.message.split('\n')).toHaveLength(2);
  });

  it('lists every bad variable at once', () => {
    const error = errorOf({ PORT_REGION: 'asia', UNKNOWN_ACTION: 'explode' });
    expect(
      error.message
        .split('\n')
        .slice(1)
        .map((l) => l.split(':')[0])
        .sort()
    ).toEqual(['PORT_REGION', 'UNKNOWN_ACTION']);
  });

  it('does not echo the value, in case a secret was pasted into the wrong variable', () => {
    const error = errorOf({ PORT_ORG_ID: 'my-client-secret-value-123' });
    expect(error.message).not.toContain('my-client-secret-value-123');
  });
});
