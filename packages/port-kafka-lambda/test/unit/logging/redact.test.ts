import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../src/logging/logger.js';
import { REDACTED, redactSecrets } from '../../../src/logging/redact.js';
import { captureLogs } from '../../../src/testing/logs.js';

describe('secret redaction', () => {
  it.each(['clientSecret', 'password', 'db_passwd', 'accessToken', 'Authorization', 'x-api-key', 'privateKey', 'credentials'])(
    'masks %s',
    (key) => {
      expect(redactSecrets(key, 'value')).toBe(REDACTED);
    }
  );

  it.each(['runId', 'topic', 'message', 'action', 'offset'])('keeps %s', (key) => {
    expect(redactSecrets(key, 'value')).toBe('value');
  });

  it('masks nested secrets in anything the logger is given', () => {
    // Prepare
    const logs = captureLogs();
    const logger = createLogger({ serviceName: 'redaction-test', logLevel: 'DEBUG' });
    // Act
    try {
      logger.info('config loaded', {
        config: { clientId: 'id-1', clientSecret: 'cs-XYZ-987' },
        headers: { authorization: 'Bearer tok-555' },
      });
      logger.error('failed', { error: { token: 'tok-777', detail: 'ok to show' } });
    } finally {
      logs.restore();
    }
    // Assess
    const text = logs.text();
    for (const secret of ['cs-XYZ-987', 'tok-555', 'tok-777']) expect(text).not.toContain(secret);
    expect(text).toContain('id-1');
    expect(text).toContain('ok to show');
    expect(logs.entries()).toHaveLength(2);
  });
});
