import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/errors.js';
import { PortBaseUrlError } from '../../src/port/errors.js';
import { type PortRegion, resolvePortBaseUrl } from '../../src/port/regions.js';

describe('resolvePortBaseUrl', () => {
  it.each([
    [{ region: 'eu' as const }, 'https://api.port.io'],
    [{ region: 'us' as const }, 'https://api.us.port.io'],
    [{}, 'https://api.port.io'],
    [{ region: 'us' as const, baseUrl: 'https://api.getport.io' }, 'https://api.getport.io'],
    [{ baseUrl: 'https://api.us.getport.io/' }, 'https://api.us.getport.io'],
    [{ baseUrl: 'http://127.0.0.1:4010' }, 'http://127.0.0.1:4010'],
    [{ baseUrl: 'https://proxy.example.com/port//' }, 'https://proxy.example.com/port'],
    [{ region: 'us' as const, baseUrl: '  ' }, 'https://api.us.port.io'],
  ])('resolves %j to %s', (opts, expected) => {
    expect(resolvePortBaseUrl(opts)).toBe(expected);
  });

  it.each([
    ['api.port.io', 'not a URL'],
    ['ftp://api.port.io', 'protocol ftp: is not http(s)'],
    ['https://api.port.io/?x=1', 'query'],
  ])('rejects %s with an error naming the value', (baseUrl, reason) => {
    let caught: unknown;
    try {
      resolvePortBaseUrl({ baseUrl });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PortBaseUrlError);
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as PortBaseUrlError).value).toBe(baseUrl);
    expect((caught as Error).message).toContain(JSON.stringify(baseUrl));
    expect((caught as Error).message).toContain(reason);
  });

  it('rejects user info without echoing the password', () => {
    expect(() => resolvePortBaseUrl({ baseUrl: 'https://me:hunter2@api.port.io' })).toThrow(
      expect.objectContaining({ name: 'PortBaseUrlError', value: 'https://api.port.io' })
    );
    try {
      resolvePortBaseUrl({ baseUrl: 'https://me:hunter2@api.port.io' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('rejects an unknown region (untyped caller)', () => {
    expect(() => resolvePortBaseUrl({ region: 'ap' as PortRegion })).toThrow(/Invalid Port API base URL "ap"/);
  });
});
