/**
 * Access-token cache. Port tokens live 3 hours and Port hands back the same active
 * token per credential set until it expires, so one token per container is enough:
 * fetch lazily, reuse until shortly before `expiresIn`, share one in-flight request
 * between concurrent callers, and forget a token Port rejected.
 */

interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, as Port's `expiresIn`. */
  expiresIn: number;
}

interface TokenCacheOptions {
  /** Performs `POST /v1/auth/access_token`; `deadline` bounds the call. */
  fetchToken: (deadline: number) => Promise<IssuedToken>;
  now: () => number;
  /** Refresh this long before expiry; clipped to 10 % of the lifetime for short-lived tokens. Default 60 s. */
  refreshMarginMs?: number;
}

interface TokenCache {
  /** A valid token, fetching one if needed (one request however many callers wait). */
  get(deadline: number): Promise<string>;
  /** Drops `token` if it is still the cached one (a 401 said it is no longer valid). */
  invalidate(token: string): void;
}

const DEFAULT_REFRESH_MARGIN_MS = 60_000;

const createTokenCache = (options: TokenCacheOptions): TokenCache => {
  const marginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const refresh = (deadline: number): Promise<string> => {
    // Count the lifetime from when we asked, not when the answer arrived: conservative.
    const requestedAt = options.now();
    const promise = options
      .fetchToken(deadline)
      .then((issued) => {
        const lifetimeMs = issued.expiresIn * 1000;
        cached = { token: issued.accessToken, refreshAt: requestedAt + lifetimeMs - Math.min(marginMs, lifetimeMs / 10) };
        return issued.accessToken;
      })
      .finally(() => {
        // A failed fetch is not cached: the next caller tries again.
        if (inFlight === promise) inFlight = undefined;
      });
    inFlight = promise;
    return promise;
  };

  return {
    get(deadline) {
      if (cached && options.now() < cached.refreshAt) return Promise.resolve(cached.token);
      return inFlight ?? refresh(deadline);
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
};

export type { IssuedToken, TokenCache, TokenCacheOptions };
export { createTokenCache, DEFAULT_REFRESH_MARGIN_MS };
