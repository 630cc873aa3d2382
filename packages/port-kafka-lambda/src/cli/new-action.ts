/**
 * `npm run new-action -- <identifier> [--root <dir>]`: scaffolds an action
 * (handler with a typed input schema, registration, test, sample event) and
 * prints the invocationMethod JSON to paste into Port. See docs/local-development.md.
 */
import { recommendedPayloadTemplate } from '../messages/run.js';
import { parseCommandLine } from './invoke/args.js';
import { ExitCode, InputError, problemLines } from './invoke/errors.js';
import { scaffoldAction } from './new-action/scaffold.js';

const USAGE = `Usage: npm run new-action -- <identifier> [--root <project dir>]

Creates lambda/actions/<name>.ts, registers it in lambda/actions/index.ts, writes
test/actions/<name>.test.ts and events/<name>.json, and prints the action's
invocationMethod JSON to paste into Port. <identifier> is the action's identifier
in Port (letters, digits, "_" and "-").`;

const runNewAction = async (argv: readonly string[]): Promise<ExitCode> => {
  try {
    const { values, positionals } = parseCommandLine(argv, {
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length !== 1) throw new InputError('give exactly one action identifier, e.g. npm run new-action -- restart_service');
    const identifier = positionals[0] ?? '';
    const orgId = process.env.PORT_ORG_ID !== undefined && process.env.PORT_ORG_ID !== '' ? process.env.PORT_ORG_ID : undefined;
    const done = await scaffoldAction(identifier, { root: values.root ?? process.cwd(), ...(orgId ? { orgId } : {}) });
    const out = [
      ...done.created.map((p) => `Created  ${p}`),
      ...done.modified.map((p) => `Updated  ${p} (import and entry in the actions list)`),
      '',
      `Paste this as the invocationMethod of "${identifier}" in Port (action → Backend → Kafka, or the action's JSON):`,
      '',
      JSON.stringify(recommendedPayloadTemplate(identifier), null, 2),
      '',
      'Then:',
      `  npm run invoke -- ${done.created[2] ?? ''}      run the sample run through the handler`,
      `  npm run test:unit -- ${done.created[1] ?? ''}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    return ExitCode.Ok;
  } catch (error) {
    const lines = problemLines(error);
    if (!lines) throw error;
    for (const line of lines) process.stderr.write(`new-action: ${line}\n`);
    return ExitCode.BadInput;
  }
};

export { runNewAction };
