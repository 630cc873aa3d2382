/**
 * How every zod failure in this package is put into words: one `where: what`
 * per issue. Zod 4 issues carry no input values, so these lines are safe to
 * log (a schema that quotes the input does so in its own message, and its
 * caller redacts; see consumer/config.ts).
 */

/** Where an issue is, as `a.b[0].c`; `root` when it is the value itself. */
const issuePath = (path: readonly PropertyKey[], root = '(root)'): string => {
  if (path.length === 0) return root;
  let out = '';
  for (const [i, key] of path.entries()) {
    out += typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`;
  }
  return out;
};

/** A zod error, or issues gathered from several (paths may be prefixed by the caller). */
interface Issues {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

interface IssueFormat {
  /** What to call the value itself when an issue is about it, not a field of it. Default `(root)`. */
  root?: string;
}

/** One `path: message` line per issue, in zod's order. */
const issueLines = (error: Issues, format: IssueFormat = {}): string[] =>
  error.issues.map((issue) => `${issuePath(issue.path, format.root)}: ${issue.message}`);

/**
 * The issues on one line ("; " between them), at most `max` of them and a count
 * of the rest: for log fields and outcome details, where a long list helps nobody.
 */
const describeIssues = (error: Issues, max = 5, format: IssueFormat = {}): string => {
  const lines = issueLines(error, format);
  const shown = lines.slice(0, max);
  if (lines.length > max) shown.push(`and ${lines.length - max} more`);
  return shown.join('; ');
};

export type { IssueFormat, Issues };
export { describeIssues, issueLines, issuePath };
