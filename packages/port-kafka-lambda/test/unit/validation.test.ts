import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { describeIssues, issueLines, issuePath } from '../../src/validation.js';

const errorOf = (schema: z.ZodType, value: unknown): z.ZodError => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

describe('zod issue wording', () => {
  it('names a field by its path, indexes in brackets', () => {
    expect(issuePath(['brokers', 1])).toBe('brokers[1]');
    expect(issuePath(['diff', 'after', 'tags', 0, 'name'])).toBe('diff.after.tags[0].name');
    expect(issuePath([0])).toBe('[0]');
    expect(issuePath([])).toBe('(root)');
    expect(issuePath([], 'environment')).toBe('environment');
  });

  it('gives one path: message line per issue, without the input values', () => {
    const error = errorOf(z.object({ a: z.string(), list: z.array(z.number()) }), { a: 'secret-ish', list: [1, 'two-secret'] });
    expect(issueLines(error)).toEqual(['list[1]: Invalid input: expected number, received string']);
    expect(issueLines(errorOf(z.string(), 5), { root: 'body' })).toEqual(['body: Invalid input: expected string, received number']);
  });

  it('summarises on one line, at most max issues and a count of the rest', () => {
    const error = errorOf(z.object({ a: z.string(), b: z.string(), c: z.string() }), {});
    expect(describeIssues(error, 2)).toBe(
      'a: Invalid input: expected string, received undefined; b: Invalid input: expected string, received undefined; and 1 more'
    );
    expect(describeIssues(error).split('; ')).toHaveLength(3);
  });
});
