import { type ParseArgsConfig, parseArgs } from 'node:util';
import * as z from 'zod';
import { InputError } from './errors.js';

/** Runs parseArgs and turns its errors (unknown flag, missing value) into one-line input errors. */
const parseCommandLine = <T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T) => {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node's text for an unknown flag is a paragraph about positionals; the flag is what matters.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new InputError(unknown ? `unknown option ${unknown[1]} (see --help)` : (message.split('\n')[0] ?? message), {
      cause: error,
    });
  }
};

const INVOKE_USAGE = `Usage: npm run invoke -- <file or folder>... [--json] [--verbose] [--emulator] [--timeout <seconds>]
                      [--skip-waits | --wait-scale <factor>]

Runs the real Lambda handler on Lambda Kafka events or bare Port messages (runs or changes).
  --json        print a machine-readable summary instead of what Port would show
  --verbose     also print the handler's JSON logs (on stderr)
  --emulator    use the embedded Port API emulator even when Port credentials are set
  --timeout <s> the Lambda deadline the handler sees (default 300 seconds)
  --skip-waits  durable actions: skip their waits and poll intervals (the durable SDK's test clock)
  --wait-scale <f>  durable actions: wait f times as long (0.01 runs a 20-minute wait in 12 s)
Durable actions run in this process under the durable SDK's local runner; their steps are printed.
Port credentials (PORT_CLIENT_ID, PORT_CLIENT_SECRET, PORT_REGION or PORT_API_URL) switch to the real Port API.
Exit code: 0 all records handled as expected, 1 not as expected, 2 bad input (nothing ran).`;

interface InvokeArgs {
  paths: string[];
  json: boolean;
  verbose: boolean;
  emulator: boolean;
  timeoutMs: number;
  /** Durable actions: skip waits entirely. */
  skipWaits: boolean;
  /** Durable actions: multiply waits by this (undefined: real time). */
  waitScale?: number;
  help: boolean;
}

const Timeout = z.coerce.number().min(1).max(900);
const WaitScale = z.coerce.number().gt(0).max(1);

const parseInvokeArgs = (argv: readonly string[]): InvokeArgs => {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    emulator: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '300' },
    'skip-waits': { type: 'boolean', default: false },
    'wait-scale': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const timeout = Timeout.safeParse(values.timeout);
  if (!timeout.success) throw new InputError(`--timeout: expected seconds between 1 and 900 (Lambda's maximum), got "${values.timeout}"`);
  const scale = values['wait-scale'] === undefined ? undefined : WaitScale.safeParse(values['wait-scale']);
  if (scale && !scale.success) throw new InputError(`--wait-scale: expected a factor above 0 and at most 1, got "${values['wait-scale']}"`);
  if (scale && values['skip-waits']) throw new InputError('--skip-waits and --wait-scale exclude each other: give one');
  if (!values.help && positionals.length === 0)
    throw new InputError('no input: give one or more event files or folders (npm run invoke -- events/)');
  return {
    paths: positionals,
    json: values.json,
    verbose: values.verbose,
    emulator: values.emulator,
    timeoutMs: Math.round(timeout.data * 1000),
    skipWaits: values['skip-waits'],
    ...(scale?.success ? { waitScale: scale.data } : {}),
    help: values.help,
  };
};

export type { InvokeArgs };
export { INVOKE_USAGE, parseCommandLine, parseInvokeArgs };
