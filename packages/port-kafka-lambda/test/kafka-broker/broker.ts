import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AclEntry } from 'kafkajs';
import { createAclsAndWait, createKafka, portOrgAcls, waitForGroupCoordinator, withAdmin } from './clients.js';
import { runOrThrow } from './exec.js';
import { freePorts } from './free-port.js';
import { assertToolsPresent, ensureKafkaJars } from './kafka-jars.js';
import { generateBrokerTls } from './tls.js';

export interface ScramUser {
  username: string;
  password: string;
  /**
   * The Port org id (e.g. `org_ABC123`) this user belongs to. With the authorizer on, the user
   * gets exactly Port's hosted-cluster ACLs (see `portOrgAcls`): READ on the literal topics
   * `<orgId>.runs` and `<orgId>.change.log`, READ on groups prefixed `<orgId>.` and on the
   * group named like the username, DESCRIBE_CONFIGS on the cluster. No org id: no ACLs, so
   * every request is denied.
   */
  orgId?: string;
}

export interface KafkaBrokerOptions {
  users: readonly ScramUser[];
  /** StandardAuthorizer with deny-by-default and the ACLs above; default true. */
  authorizer?: boolean;
  /** Max wait for "Kafka Server started"; default 90 s. */
  startTimeoutMs?: number;
  /** Default `<repo>/.kafka/lib`. */
  libDir?: string;
}

export interface KafkaBroker {
  /** SASL_SSL + SCRAM-SHA-512 listener, e.g. "127.0.0.1:40123" (what the Lambda ESM would get). */
  bootstrapServers: string;
  /** PEM of the CA that signed the broker certificate (SAN DNS:localhost, IP:127.0.0.1). */
  ca: string;
  /** The CA as a PEM file inside workDir; gone after stop(). */
  caPath: string;
  users: readonly ScramUser[];
  /** A SCRAM superuser on the SASL_SSL listener, for the harness (create topics, produce). */
  admin: ScramUser;
  /** PLAINTEXT listener without authentication whose principal (ANONYMOUS) is a superuser. */
  internalBootstrapServers: string;
  /** Folder with server.properties, data and broker.log; deleted by stop(). */
  workDir: string;
  logPath: string;
  /** Wall time from the call until the broker accepted connections and served group requests (jar fetch excluded). */
  startupMs: number;
  stop(): Promise<void>;
}

const STARTED_LINE = 'Kafka Server started';

/** Flags for both JVMs: short-lived and tiny workloads, so optimise for start-up, not throughput. */
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss1m', '-Djava.awt.headless=true'];

/**
 * Starts a fresh single-node KRaft broker (combined broker+controller) bound to 127.0.0.1.
 *
 * Listeners: SASL_SSL (SCRAM-SHA-512 only, the customer-facing one), INTERNAL (PLAINTEXT,
 * inter-broker + harness) and CONTROLLER (PLAINTEXT). SCRAM users are written into the
 * bootstrap metadata at format time (KIP-900), so no runtime credential API is needed.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const { libDir } = await ensureKafkaJars(options.libDir === undefined ? {} : { libDir: options.libDir });
  await assertToolsPresent(false); // cached jars skip the check inside ensureKafkaJars
  const started = Date.now();
  const authorizer = options.authorizer ?? true;
  const admin: ScramUser = { username: 'harness-admin', password: randomBytes(12).toString('hex') };
  const allUsers = [admin, ...options.users];
  for (const user of allUsers) assertScramParsable(user);
  if (new Set(allUsers.map((u) => u.username)).size !== allUsers.length) {
    throw new Error(`Duplicate SCRAM usernames (note "${admin.username}" is reserved).`);
  }
  // Built (and the org ids validated) before any JVM starts.
  const acls = authorizer ? options.users.flatMap((u) => (u.orgId === undefined ? [] : portOrgAcls(u.username, u.orgId))) : [];

  const workDir = await mkdtemp(join(tmpdir(), 'kafka-test-'));
  try {
    return await launch(options, libDir, workDir, admin, allUsers, authorizer, acls, started);
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function launch(
  options: KafkaBrokerOptions,
  libDir: string,
  workDir: string,
  admin: ScramUser,
  allUsers: readonly ScramUser[],
  authorizer: boolean,
  acls: AclEntry[],
  started: number
): Promise<KafkaBroker> {
  const logPath = join(workDir, 'broker.log');
  const dataDir = join(workDir, 'data');
  await mkdir(dataDir);
  const [saslPort, internalPort, controllerPort] = await freePorts(3);
  if (saslPort === undefined || internalPort === undefined || controllerPort === undefined) {
    throw new Error('could not allocate ports');
  }
  const tls = await generateBrokerTls(workDir);

  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // Static quorum: format must then run WITHOUT --standalone.
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    listeners: `SASL_SSL://127.0.0.1:${saslPort},INTERNAL://127.0.0.1:${internalPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    // Advertise the IP, not "localhost": localhost may resolve to ::1 first, where nothing listens.
    'advertised.listeners': `SASL_SSL://127.0.0.1:${saslPort},INTERNAL://127.0.0.1:${internalPort}`,
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    // The default mechanism list is GSSAPI; the JAAS entry needs no credentials because this
    // listener is never used for inter-broker traffic (SCRAM users live in the metadata log).
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type': 'PKCS12', // default is JKS
    'ssl.keystore.location': tls.keystorePath,
    'ssl.keystore.password': tls.keystorePassword,
    'ssl.key.password': tls.keystorePassword,
    'ssl.client.auth': 'none',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'auto.create.topics.enable': false,
    // A single node cannot host replication factor 3 (the default): without these, consumers
    // loop on COORDINATOR_NOT_AVAILABLE forever.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // No 3 s wait for more members before the first rebalance.
    'group.initial.rebalance.delay.ms': 0,
    // Default 128 MiB would be allocated when the cleaner runs; keep the JVM small.
    'log.cleaner.dedupe.buffer.size': 1048577,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
  };
  if (authorizer) {
    Object.assign(props, {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // ANONYMOUS is the principal on the PLAINTEXT INTERNAL/CONTROLLER listeners, i.e. the
      // broker itself (registration, heartbeats, forwarded admin requests) and the harness.
      'super.users': `User:ANONYMOUS;User:${admin.username}`,
      'allow.everyone.if.no.acl.found': false,
    });
  }
  const propsPath = join(workDir, 'server.properties');
  await writeFile(propsPath, serializeProperties(props));
  const log4jPath = join(workDir, 'log4j2.properties');
  await writeFile(log4jPath, LOG4J2_PROPERTIES);

  const classpath = join(libDir, '*');
  // A Kafka Uuid: 22 unpadded base64url chars. One that starts with "-" is read
  // by StorageTool's argument parser as an option (1 start in 64 failed), so draw again.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  await runOrThrow('java', [
    ...JVM_FLAGS,
    '-Xmx256m',
    `-Dlog4j2.configurationFile=${log4jPath}`,
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    propsPath,
    ...allUsers.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]),
  ]);

  const logFile = await open(logPath, 'a');
  const child = spawn(
    'java',
    [...JVM_FLAGS, '-Xms128m', '-Xmx512m', `-Dlog4j2.configurationFile=${log4jPath}`, '-cp', classpath, 'kafka.Kafka', propsPath],
    // detached: own process group, so stop() can signal the whole group.
    { detached: true, stdio: ['ignore', logFile.fd, logFile.fd] }
  );
  await logFile.close();
  const exitKiller = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', exitKiller);
  startWatchdog(child);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', exitKiller);
    // SIGKILL, not a controlled shutdown: the data is thrown away anyway, and a single
    // combined node can spend seconds in controlled shutdown.
    await killAndWait(child);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    await waitForStarted(child, logPath, options.startTimeoutMs ?? 90_000);
    await waitForPort(saslPort);
    const endpoint = { bootstrapServers: '', ca: tls.caPem, internalBootstrapServers: `127.0.0.1:${internalPort}` };
    if (authorizer) {
      await withAdmin(createKafka(endpoint, 'internal'), (client) => createAclsAndWait(client, acls));
    }
    // Tests join consumer groups right away; a coordinator still loading would crash them.
    await waitForGroupCoordinator(endpoint);
  } catch (error) {
    const log = await readFile(logPath, 'utf8').catch(() => '(no broker log)');
    await stop();
    throw new Error(`${(error as Error).message}\n--- broker.log (last 200 lines) ---\n${tail(log, 200)}`);
  }

  const broker: KafkaBroker = {
    bootstrapServers: `127.0.0.1:${saslPort}`,
    ca: tls.caPem,
    caPath: tls.caPath,
    users: options.users,
    admin,
    internalBootstrapServers: `127.0.0.1:${internalPort}`,
    workDir,
    logPath,
    startupMs: Date.now() - started,
    stop,
  };
  return broker;
}

const LOG4J2_PROPERTIES = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
`;

/** StorageTool's ScramParser splits on "," and strips quotes, so such passwords would be mangled. */
function assertScramParsable(user: ScramUser): void {
  for (const [field, value] of [
    ['username', user.username],
    ['password', user.password],
  ] as const) {
    if (value === '' || /[,"\]\s=]/.test(value)) {
      throw new Error(`SCRAM ${field} "${value}" must be non-empty without , " ] = or whitespace.`);
    }
  }
}

function serializeProperties(props: Record<string, string | number | boolean>): string {
  // Java properties treat backslash as an escape; none of our values may contain one.
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
    .join('\n')}\n`;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  killGroup(child, 'SIGKILL');
  await exited;
}

/**
 * If the test process dies without running 'exit' handlers (SIGKILL, Jest killing a worker),
 * the detached JVM would live on and hold its ports. A tiny shell in its own process group
 * polls both pids and kills the JVM's group once the test process is gone.
 */
function startWatchdog(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill -9 -${child.pid} 2>/dev/null; exit 0`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}

async function waitForStarted(child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Kafka broker exited early (code ${String(child.exitCode)}, signal ${String(child.signalCode)}).`);
    }
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (log.includes(STARTED_LINE)) return;
    await sleep(100);
  }
  throw new Error(`Kafka broker did not log "${STARTED_LINE}" within ${timeoutMs} ms.`);
}

/** The authorizer keeps listeners closed until ACLs are loaded; make sure the port accepts. */
async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Port ${port} did not accept connections within ${timeoutMs} ms.`);
    await sleep(100);
  }
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}
