/**
 * Captures what the Powertools logger prints, for tests that assert a secret
 * never reaches a log. The logger writes JSON lines through a Console bound to
 * process.stdout/stderr, so the streams' `write` is where to listen. Written
 * without a test framework's spies so any runner can use it.
 *
 * @example
 * ```ts
 * const logs = captureLogs();
 * try { await h.handler(event, lambdaContext()); } finally { logs.restore(); }
 * expect(logs.text()).not.toContain(token);
 * ```
 */
const captureLogs = () => {
  const lines: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const grab = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  return {
    /** Raw text of everything logged so far. */
    text: () => lines.join(''),
    /** Parsed JSON log entries (non-JSON lines are dropped). */
    entries: (): Record<string, unknown>[] =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
};

export { captureLogs };
