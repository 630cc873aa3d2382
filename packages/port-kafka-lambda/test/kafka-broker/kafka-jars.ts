import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandExists, runOrThrow } from './exec.js';
import { DEFAULT_LIB_DIR, POM_PATH } from './paths.js';

/**
 * Pinned because Maven 3.8.7 resolves the unversioned `dependency:` prefix to plugin 2.8,
 * whose copy-dependencies lacks options used here.
 */
const COPY_DEPENDENCIES = 'org.apache.maven.plugins:maven-dependency-plugin:3.7.1:copy-dependencies';
/** Written last into the lib folder; its content ties the folder to one pom.xml revision. */
const STAMP_FILE = '.pom-sha256';

export interface EnsureKafkaJarsOptions {
  /** Where the jars go; default `<repo>/.kafka/lib`. */
  libDir?: string;
  pomPath?: string;
  /** How long to wait for another process that is downloading; default 10 minutes. */
  lockTimeoutMs?: number;
  log?: (message: string) => void;
  /** What the jars are, for the log line (default "Kafka broker"). */
  what?: string;
}

export interface KafkaJars {
  libDir: string;
  /** True when this call ran Maven; false when the cache was already complete. */
  downloaded: boolean;
  /** Time spent in this call (download, or waiting for another process). */
  durationMs: number;
  jarCount: number;
  totalBytes: number;
}

/**
 * Makes sure `.kafka/lib` holds the broker classpath described by pom.xml.
 *
 * Concurrency: Jest runs test files in parallel worker processes, so two of them can get here
 * at once. A lock file (O_EXCL create, holding the owner's pid so a crashed owner's lock is
 * detected as stale) serialises Maven runs, which also keeps two Mavens from writing the same
 * ~/.m2 files. Maven copies into a private temp folder that is renamed into place only when
 * complete, so a reader never sees a half-filled lib folder even without the lock.
 */
export async function ensureKafkaJars(options: EnsureKafkaJarsOptions = {}): Promise<KafkaJars> {
  const started = Date.now();
  const libDir = options.libDir ?? DEFAULT_LIB_DIR;
  const pomPath = options.pomPath ?? POM_PATH;
  const log = options.log ?? (() => undefined);
  const wanted = createHash('sha256')
    .update(await readFile(pomPath))
    .digest('hex');

  const done = async (downloaded: boolean): Promise<KafkaJars> => ({
    libDir,
    downloaded,
    durationMs: Date.now() - started,
    ...(await measureJars(libDir)),
  });

  if (await isComplete(libDir, wanted)) return done(false);

  await mkdir(dirname(libDir), { recursive: true });
  const lockPath = `${libDir}.lock`;
  const locked = await acquireLock(lockPath, options.lockTimeoutMs ?? 600_000, () => isComplete(libDir, wanted));
  if (!locked) return done(false); // another process completed the download while we waited
  try {
    // Another process may have finished while we waited for the lock.
    if (await isComplete(libDir, wanted)) return done(false);
    await assertToolsPresent();
    const tmpDir = join(dirname(libDir), `${basename(libDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    log(`Downloading ${options.what ?? 'Kafka broker'} jars with Maven into ${libDir} ...`);
    try {
      await runOrThrow('mvn', ['-q', '-B', '-f', pomPath, `-DoutputDirectory=${tmpDir}`, '-DincludeScope=runtime', COPY_DEPENDENCIES]);
      await writeFile(join(tmpDir, STAMP_FILE), wanted);
      // rename() cannot replace a non-empty folder: move an outdated copy aside first.
      await rm(libDir, { recursive: true, force: true });
      await rename(tmpDir, libDir);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    return done(true);
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** Fails early with an actionable message instead of a bare ENOENT from spawn. */
export async function assertToolsPresent(needMaven = true): Promise<void> {
  const missing: string[] = [];
  if (!(await commandExists('java', ['-version']))) missing.push('java (JDK 17+)');
  if (needMaven && !(await commandExists('mvn', ['-v']))) missing.push('mvn (Apache Maven 3.8+)');
  if (missing.length > 0) {
    throw new Error(
      `The Kafka test broker needs ${missing.join(' and ')} on PATH: Maven downloads the broker jars ` +
        `from Maven Central into .kafka/lib once, and Java runs the broker. Install them ` +
        `(e.g. apt-get install openjdk-17-jdk-headless maven) or pre-fetch with test/kafka-broker/fetch-jars.sh.`
    );
  }
}

async function isComplete(libDir: string, wanted: string): Promise<boolean> {
  try {
    return (await readFile(join(libDir, STAMP_FILE), 'utf8')).trim() === wanted;
  } catch {
    return false;
  }
}

/** Resolves true once the lock is ours, or false if `satisfied` became true while waiting. */
async function acquireLock(lockPath: string, timeoutMs: number, satisfied: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (await satisfied()) return false;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${lockPath} (another Kafka jar download).`);
    }
    await sleep(500);
  }
}

async function isStaleLock(lockPath: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(lockPath, 'utf8')).trim());
  } catch {
    return false; // vanished or being written: not stale, just retry
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    // Created but pid not yet written; only call it stale once it has been empty for a while.
    try {
      return Date.now() - (await stat(lockPath)).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function measureJars(libDir: string): Promise<{ jarCount: number; totalBytes: number }> {
  const names = (await readdir(libDir)).filter((name) => name.endsWith('.jar'));
  const sizes = await Promise.all(names.map(async (name) => (await stat(join(libDir, name))).size));
  return { jarCount: names.length, totalBytes: sizes.reduce((sum, size) => sum + size, 0) };
}
