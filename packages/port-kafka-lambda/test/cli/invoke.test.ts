import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { linesOf, REPO, runTool } from './cli.js';
import { onlyFile, parseSummary } from './summary.js';

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(REPO, 'events', name), 'utf8')) as Record<string, unknown>;

describe('invoke', () => {
  let dir: string;
  const write = (name: string, content: unknown): string => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'invoke-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints what Port would show, and none of the handler logs, by default', async () => {
    const { code, stdout, stderr } = await runTool('invoke', ['events/v1-run-create-vm.json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = linesOf(stdout);
    expect(lines[0]).toMatch(/^Using the embedded Port API emulator at http:\/\/127\.0\.0\.1:\d+ /);
    expect(stdout).toContain('Run r_q2mGf9ZYkFRnZJjB · create_vm · SUCCESS (Running)');
    expect(stdout).toContain('Summary:  Created small VM vm-q2mgf9zykfrnzjjb in eu-west-1');
    expect(stdout).toContain('Entities: vm/vm-q2mgf9zykfrnzjjb');
    expect(stdout).toMatch(/Links: +https:\/\/eu-west-1\.console\.aws\.amazon\.com\//);
    expect(stdout).toContain('Logs (2):');
    expect(stdout).toContain('Picked up by port-kafka-lambda-local from org_sYG4DOJZNGy8bYnt.runs-0 at offset 0');
    expect(lines.at(-1)).toBe('1 file(s), 1 record(s): 1 succeeded. All handled as expected.');
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
  });

  it('sends the handler JSON logs to stderr with --verbose, leaving --json output parseable', async () => {
    const { code, stdout, stderr } = await runTool('invoke', ['events/change-entity-update.json', '--json', '--verbose']);
    expect(code).toBe(0);
    expect(parseSummary(stdout).ok).toBe(true);
    const logs = linesOf(stderr)
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message?: string });
    expect(logs.map((l) => l.message)).toContain('Batch processed');
  });

  it('runs every file of a folder, each as its own batch', async () => {
    // The durable sample's rollout polls for minutes in real time; its waits are skipped.
    const { code, stdout } = await runTool('invoke', ['events', '--json', '--skip-waits']);
    expect(code).toBe(0);
    const summary = parseSummary(stdout);
    const jsonFiles = readdirSync(path.join(REPO, 'events'))
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(summary.files.map((f) => f.file)).toEqual(jsonFiles.map((f) => `events/${f}`));
    expect(summary.ok).toBe(true);
  });

  it('exits 1 when a file has an invalid record it does not declare in $expect', async () => {
    const { $expect: _declared, ...undeclared } = sample('batch-malformed-record.json');
    const file = write('malformed-undeclared.json', undeclared);
    const json = await runTool('invoke', [file, '--json']);
    expect(json.code).toBe(1);
    const result = onlyFile(parseSummary(json.stdout));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['1 invalid record(s), expected 0']);
    const human = await runTool('invoke', [file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('✗ not as expected: 1 invalid record(s), expected 0');
  });

  it('exits 1 for a run that ends in FAILURE, and 0 when the file expects it', async () => {
    const message = {
      ...sample('recommended-run-create-vm.json'),
      runId: 'r_FailingCpu000001',
      inputs: { cpu: 0, memory: 1, storage: 10, region: 'eu-west-1' },
    };
    const failing = await runTool('invoke', [write('failing.json', message), '--json']);
    expect(failing.code).toBe(1);
    const run = onlyFile(parseSummary(failing.stdout)).runs[0];
    expect(run).toEqual(expect.objectContaining({ id: 'r_FailingCpu000001', status: 'FAILURE' }));
    expect(run?.summary).toMatch(/^Invalid inputs: cpu/);

    const expected = await runTool('invoke', [write('failing-expected.json', { ...message, $expect: { failed: 1 } }), '--json']);
    expect(expected.code).toBe(0);
    expect(onlyFile(parseSummary(expected.stdout)).runs[0]?.status).toBe('FAILURE');
  });

  it('gives the handler a Lambda deadline from --timeout: too little time leaves records for a retry', async () => {
    // The handler starts no run with less than RUN_START_MIN_REMAINING_MS (20 s) left.
    const { code, stdout } = await runTool('invoke', ['events/v1-run-create-vm.json', '--json', '--timeout', '10']);
    expect(code).toBe(1);
    const file = onlyFile(parseSummary(stdout));
    expect(file.records).toEqual([expect.objectContaining({ status: 'retry', reason: 'deadline' })]);
    expect(file.handlerError).toMatch(/^BatchRetryError: /);
  });

  describe('bad input: one line on stderr, exit 2, nothing runs', () => {
    const expectBadInput = (result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) => {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = linesOf(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    };

    it('reports a missing file', async () => {
      expectBadInput(
        await runTool('invoke', ['events/no-such-sample.json']),
        /^invoke: events\/no-such-sample\.json: no such file or directory$/
      );
    });

    it('reports a file that is not JSON', async () => {
      expectBadInput(await runTool('invoke', [write('notes.json', 'hello {')]), /^invoke: .*notes\.json: not JSON$/);
    });

    it('reports JSON of no known shape', async () => {
      expectBadInput(
        await runTool('invoke', [write('shape.json', { hello: 'world' })]),
        /^invoke: .*shape\.json: neither a Lambda Kafka event nor a Port message/
      );
    });

    it('reports a run message that is missing what its shape needs', async () => {
      const { runId: _dropped, ...noRunId } = sample('recommended-run-create-vm.json');
      expectBadInput(
        await runTool('invoke', [write('no-run-id.json', noRunId)]),
        /^invoke: .*no-run-id\.json: looks like a Port run message but is not readable: runId: /
      );
    });

    it('reports an unknown action before running any file', async () => {
      const unknown = write('unknown-action.json', { ...sample('recommended-run-create-vm.json'), action: 'launch_rocket' });
      // The good file comes first: it must not run either.
      expectBadInput(
        await runTool('invoke', ['events/v1-run-create-vm.json', unknown]),
        /^invoke: .*unknown-action\.json: no action "launch_rocket" is registered \(registered: create_vm, deploy_service.*\); scaffold it with: npm run new-action -- launch_rocket$/
      );
    });

    it('reports an unknown action inside a Kafka event with its coordinates', async () => {
      const event = JSON.parse(
        (await runTool('to-kafka-event', [write('rocket.json', { ...sample('v1-run-create-vm.json'), action: 'launch_rocket' })])).stdout
      ) as unknown;
      expectBadInput(
        await runTool('invoke', [write('rocket-event.json', event)]),
        /^invoke: .*rocket-event\.json \(org_sYG4DOJZNGy8bYnt\.runs-0 offset 0\): no action "launch_rocket"/
      );
    });

    it('reports an unknown flag', async () => {
      expectBadInput(await runTool('invoke', ['events', '--jsn']), /^invoke: unknown option --jsn \(see --help\)$/);
    });

    it('reports half-set Port credentials', async () => {
      expectBadInput(
        await runTool('invoke', ['events/v1-run-create-vm.json'], { env: { PORT_CLIENT_ID: 'only-the-id' } }),
        /^invoke: PORT_CLIENT_SECRET is not set: set both PORT_CLIENT_ID and PORT_CLIENT_SECRET/
      );
    });
  });

  describe('with Port credentials in the environment', () => {
    let emu: PortEmulator;
    let env: Record<string, string>;
    beforeAll(async () => {
      // Stands in for the real Port API: the CLI must talk to it, not start its own.
      emu = await startPortEmulator();
      env = {
        PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
        PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
        PORT_API_URL: emu.url,
      };
    });
    afterAll(() => emu.close());

    it('says it uses the configured Port API first, and the run lands there', async () => {
      emu.createRun({ id: 'r_q2mGf9ZYkFRnZJjB', action: 'create_vm' });
      const { code, stdout } = await runTool('invoke', ['events/v1-run-create-vm.json'], { env });
      expect(code).toBe(0);
      expect(linesOf(stdout)[0]).toMatch(new RegExp(`^Using the Port API at ${emu.url.replace(/\./g, '\\.')} .*not the embedded emulator`));
      expect(stdout).not.toContain('Using the embedded Port API emulator');
      expect(emu.getRun('r_q2mGf9ZYkFRnZJjB')?.status).toBe('SUCCESS');
      expect(emu.logs('r_q2mGf9ZYkFRnZJjB').map((l) => l.message)).toHaveLength(2);
      expect(emu.requests.some((r) => r.path === '/v1/auth/access_token' && r.status === 200)).toBe(true);
    });

    it('reports in --json what it sent: target, status and log count', async () => {
      emu.createRun({ id: 'r_Vb7dK2pQx9LmN4sT', action: 'deploy_service' });
      const { code, stdout, stderr } = await runTool('invoke', ['events/v2-compat-run-deploy-service.json', '--json'], { env });
      expect(code).toBe(0);
      expect(stderr).toMatch(/^Using the Port API at /);
      const summary = parseSummary(stdout);
      expect(summary.target).toEqual({ kind: 'port', url: emu.url });
      expect(onlyFile(summary).runs).toEqual([expect.objectContaining({ id: 'r_Vb7dK2pQx9LmN4sT', status: 'SUCCESS', logCount: 4 })]);
    });

    it('exits 1 when Port does not know the run: nothing was executed', async () => {
      const { code, stdout } = await runTool('invoke', ['events/recommended-run-create-vm.json', '--json'], { env });
      expect(code).toBe(1);
      expect(onlyFile(parseSummary(stdout)).problems).toEqual(['run r_Hx3Lq8ZtWc1aPe6Y does not exist in Port, so nothing was executed']);
      expect(emu.getRun('r_Hx3Lq8ZtWc1aPe6Y')).toBeUndefined();
    });

    it('still uses the embedded emulator with --emulator', async () => {
      const before = emu.requests.length;
      const { code, stdout } = await runTool('invoke', ['events/change-entity-create.json', '--emulator'], { env });
      expect(code).toBe(0);
      expect(linesOf(stdout)[0]).toMatch(/^Using the embedded Port API emulator at .* \(--emulator\)/);
      expect(emu.requests.length).toBe(before);
    });
  });
});
