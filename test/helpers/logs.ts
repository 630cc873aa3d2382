import { jest } from '@jest/globals';

/**
 * Captures what the Powertools logger prints. It writes JSON lines through a
 * Console bound to process.stdout/stderr, so the streams' write is where to listen.
 */
const captureLogs = () => {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab as typeof process.stdout.write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab as typeof process.stderr.write);
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
      out.mockRestore();
      err.mockRestore();
    },
  };
};

export { captureLogs };
