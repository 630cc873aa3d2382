import { PortBaseUrlError } from './errors.js';

/**
 * Port API hosts per region (Port API reference, "Regions"). The legacy
 * `api.getport.io` / `api.us.getport.io` hosts are still used throughout Port's
 * docs and by port-agent, so they are accepted as an explicit `baseUrl`.
 */
const PortRegionUrl = {
  eu: 'https://api.port.io',
  us: 'https://api.us.port.io',
} as const;
type PortRegion = keyof typeof PortRegionUrl;

const LegacyPortUrl = {
  eu: 'https://api.getport.io',
  us: 'https://api.us.getport.io',
} as const;

/**
 * Resolves the Port API base URL: an explicit `baseUrl` wins (any http(s) URL, so the
 * emulator and legacy hosts work), else the region's host (default `eu`). The result has
 * no trailing slash. Throws {@link PortBaseUrlError} naming the value when it is not an
 * http(s) URL or the region is unknown.
 */
const resolvePortBaseUrl = (opts: { region?: PortRegion; baseUrl?: string }): string => {
  if (opts.baseUrl !== undefined && opts.baseUrl.trim() !== '') {
    const raw = opts.baseUrl.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new PortBaseUrlError(raw, 'not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new PortBaseUrlError(raw, `protocol ${url.protocol} is not http(s)`);
    }
    if (url.username !== '' || url.password !== '') {
      // Refuse rather than echo: credentials in a URL would end up in logs.
      throw new PortBaseUrlError(`${url.protocol}//${url.host}`, 'must not contain user info');
    }
    if (url.search !== '' || url.hash !== '') {
      throw new PortBaseUrlError(raw, 'must not have a query or fragment');
    }
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  }
  const region = opts.region ?? 'eu';
  if (!Object.hasOwn(PortRegionUrl, region)) {
    throw new PortBaseUrlError(String(region), 'unknown Port region (expected "eu" or "us")');
  }
  return PortRegionUrl[region];
};

export type { PortRegion };
export { LegacyPortUrl, PortRegionUrl, resolvePortBaseUrl };
