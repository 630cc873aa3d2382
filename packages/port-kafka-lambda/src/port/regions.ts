import { PortBaseUrlError } from './errors.js';

/** Port's regions; Port's docs and API reference name exactly these two. */
const PORT_REGION_NAMES = ['eu', 'us'] as const;
type PortRegion = (typeof PORT_REGION_NAMES)[number];

/** "eu or us", for messages that list the regions. */
const PORT_REGION_LIST = PORT_REGION_NAMES.join(' or ');

interface PortRegionEndpoints {
  /** Port API host (Port API reference, "Regions"). */
  apiUrl: string;
  /**
   * The older host of the same API. Still used throughout Port's docs and by
   * port-agent, so it is accepted as an explicit base URL, never chosen by default.
   */
  legacyApiUrl: string;
  /** Port's hosted Kafka brokers (Port docs, "Kafka" backend): SASL_SSL with SCRAM-SHA-512 on port 9196. */
  brokers: readonly string[];
}

/**
 * Everything that differs between Port's regions, in one table: the handler
 * (API URL), the consumer and the CDK stack (brokers) all read it, so a change
 * in Port's setup is made here once.
 */
const PORT_REGIONS = {
  eu: {
    apiUrl: 'https://api.port.io',
    legacyApiUrl: 'https://api.getport.io',
    brokers: [
      'b-1-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
      'b-2-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
      'b-3-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
    ],
  },
  us: {
    apiUrl: 'https://api.us.port.io',
    legacyApiUrl: 'https://api.us.getport.io',
    brokers: [
      'b-1-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
      'b-2-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
      'b-3-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
    ],
  },
} as const satisfies Record<PortRegion, PortRegionEndpoints>;

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
    } catch (error) {
      // The URL parser's error names only the same text as the message already does.
      throw new PortBaseUrlError(raw, 'not a URL', { cause: error });
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
  if (!Object.hasOwn(PORT_REGIONS, region)) {
    throw new PortBaseUrlError(
      String(region),
      `unknown Port region (expected ${PORT_REGION_NAMES.map((r) => JSON.stringify(r)).join(' or ')})`
    );
  }
  return PORT_REGIONS[region].apiUrl;
};

export type { PortRegion, PortRegionEndpoints };
export { PORT_REGION_LIST, PORT_REGION_NAMES, PORT_REGIONS, resolvePortBaseUrl };
