import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PortKafkaApp } from '../app.js';
import { type ExitCode, InputError, problemLines } from './invoke/errors.js';

/** Where the commands look for the team's app, relative to the project root. */
const DEFAULT_APP_PATH = 'lambda/app.ts';
/** Points the commands at another app module (`npm run invoke` in a project laid out differently). */
const APP_PATH_ENV = 'PORT_KAFKA_APP';

const isApp = (value: unknown): value is PortKafkaApp =>
  typeof value === 'object' && value !== null && Array.isArray((value as PortKafkaApp).actions);

/**
 * Loads the team's app: the default export of `lambda/app.ts` (or of
 * `$PORT_KAFKA_APP`). The command runs under tsx's loader, so the module may
 * be TypeScript. A missing or malformed module is an input error, one line.
 */
const loadApp = async (cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<PortKafkaApp> => {
  const relative = env[APP_PATH_ENV] || DEFAULT_APP_PATH;
  const file = path.resolve(cwd, relative);
  if (!existsSync(file)) {
    throw new InputError(
      `no app at ${relative}: create it with "export default defineApp({ actions, changeHandlers })" or set ${APP_PATH_ENV}`
    );
  }
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (!isApp(module.default)) throw new InputError(`${relative} must export default defineApp({ actions, changeHandlers })`);
  return module.default;
};

/** Loads the app, then runs a command with it; a load problem is one line and exit 2. */
const withApp = async (command: string, run: (app: PortKafkaApp) => Promise<ExitCode>): Promise<ExitCode> => {
  let app: PortKafkaApp;
  try {
    app = await loadApp(process.cwd());
  } catch (error) {
    const lines = problemLines(error);
    if (!lines) throw error;
    for (const line of lines) process.stderr.write(`${command}: ${line}\n`);
    return 2;
  }
  return run(app);
};

export { APP_PATH_ENV, DEFAULT_APP_PATH, loadApp, withApp };
