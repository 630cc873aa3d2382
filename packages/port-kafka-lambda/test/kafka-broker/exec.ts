import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing output; never throws on non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}
): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    // No input: no stdin pipe at all. Writing to one raced with the child's exit: a child that
    // is done before the write (java -version on a busy machine) closed the pipe, and the
    // EPIPE arrived as an unhandled 'error' event that failed the whole Jest suite.
    const base = { cwd: options.cwd, env: options.env ?? process.env };
    const child =
      options.input === undefined
        ? spawn(command, args, { ...base, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(command, args, { ...base, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    if (options.input !== undefined && child.stdin !== null) {
      // A child may exit without reading its input; its exit code and output tell why.
      child.stdin.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') reject(error);
      });
      child.stdin.end(options.input);
    }
  });
}

/** Runs a command and throws with its output when it fails. */
export async function runOrThrow(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}
): Promise<ExecResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${String(result.code)}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** True when `command` can be started (ENOENT means it is not on PATH). */
export async function commandExists(command: string, versionArgs: readonly string[]): Promise<boolean> {
  try {
    await run(command, versionArgs);
    return true;
  } catch {
    return false;
  }
}
