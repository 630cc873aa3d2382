import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the template project the commands run in. */
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const TSX = `${REPO}node_modules/.bin/tsx`;
/** The package's command line, run from source as the root's npm scripts do. */
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** Node flag that resolves `port-kafka-lambda` to its TypeScript source (see the package's exports). */
const SOURCE_CONDITION_FLAG = '--conditions=port-kafka-lambda-source';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Port settings a developer may have exported; tests start from none of them. */
const PORT_ENV = ['PORT_CLIENT_ID', 'PORT_CLIENT_SECRET', 'PORT_REGION', 'PORT_API_URL', 'PORT_ORG_ID', 'PORT_CREDENTIALS_SECRET_ARN'];

const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of PORT_ENV) delete env[name];
  // The child is a CLI, not a Jest worker.
  delete env.JEST_WORKER_ID;
  // Jest runs with --experimental-vm-modules; inherited, it would add a warning to every CLI stderr.
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
};

/**
 * Runs a command asynchronously: tests that serve a Port emulator from this
 * process must keep the event loop free while the child talks to it.
 */
const run = (command: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** Runs one of the package's commands in a project (the repository by default), as the npm scripts do. */
const runTool = (tool: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
  run(TSX, [SOURCE_CONDITION_FLAG, CLI, tool, ...args], options);

/** Lines of a stream without the trailing empty one. */
const linesOf = (text: string): string[] => text.split('\n').filter((l) => l !== '');

export type { CliResult };
export { CLI, linesOf, REPO, run, runTool, SOURCE_CONDITION_FLAG, TSX };
