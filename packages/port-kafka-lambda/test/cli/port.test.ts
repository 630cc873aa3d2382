import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { createPortClient, type PortClient } from '../../src/port/client.js';
import { linesOf, REPO, runTool } from './cli.js';

/**
 * `port-kafka-lambda port sync|pull` as a process, against an emulator this
 * test serves over HTTP: the template's app (lambda/app.ts) is what gets synced.
 */

let emu: PortEmulator;
let port: PortClient;
let scratch: string;

const portEnv = () => ({
  PORT_API_URL: emu.url,
  PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
  PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
});
const portTool = (args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
  runTool('port', args, { ...options, env: { ...portEnv(), ...options.env } });
const writes = () => emu.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').filter((r) => r.path.startsWith('/v1/actions'));

beforeAll(async () => {
  // Inside the repository, so a generated file's imports resolve like a project's.
  scratch = await mkdtemp(path.join(REPO, '.port-cli-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  emu = await startPortEmulator();
  port = createPortClient({ baseUrl: emu.url, credentials: async () => ({ ...DEFAULT_EMULATOR_CLIENT }) });
});
afterEach(async () => {
  port.close();
  await emu.close();
});

describe('port sync', () => {
  it('--dry-run lists what it would create, field by field, and writes nothing', async () => {
    const result = await portTool(['sync', '--dry-run']);
    expect(result.stderr).toBe(`Using the Port API at ${emu.url} (PORT_CLIENT_ID ${DEFAULT_EMULATOR_CLIENT.clientId}, PORT_API_URL).\n`);
    expect(result.code).toBe(0);
    const lines = linesOf(result.stdout);
    expect(lines).toContain('create_vm: to create (not in Port)');
    expect(lines).toContain('deploy_on_main_version (automation): to create (not in Port)');
    expect(lines).toContain('  + trigger.userInputs.properties.cpu: {"type":"number","title":"vCPUs","minimum":1,"maximum":64}');
    expect(lines).toContain(
      '  + trigger.userInputs.properties.registry_token: {"type":"string","title":"Registry token","encryption":"aes256-gcm"}'
    );
    expect(lines.at(-1)).toBe('Dry run: 4 to create, 0 to update, 0 unchanged. Nothing was changed in Port.');
    expect(writes()).toEqual([]);
    expect(emu.actions.size).toBe(0);
  });

  it('creates the actions and the automation, then finds nothing to do', async () => {
    const first = await portTool(['sync']);
    expect(first.code).toBe(0);
    expect(linesOf(first.stdout).at(-1)).toBe('Synced: 4 created, 0 updated, 0 unchanged.');
    expect(writes().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/actions 201',
      'POST /v1/actions 201',
      'POST /v1/actions 201',
      'POST /v1/actions 201',
    ]);
    const createVm = emu.actions.get('create_vm');
    expect(createVm).toMatchObject({
      title: 'Create a VM',
      icon: 'Server',
      trigger: { type: 'self-service', operation: 'CREATE', blueprintIdentifier: 'vm' },
      invocationMethod: { type: 'KAFKA', payload: { schema: 'port-kafka-lambda/run@1', action: 'create_vm', runId: '{{ .run.id }}' } },
    });
    expect(createVm?.trigger.type === 'self-service' && createVm.trigger.userInputs.order).toEqual([
      'name',
      'cpu',
      'memory',
      'storage',
      'region',
    ]);
    expect(emu.actions.get('deploy_on_main_version')).toMatchObject({
      trigger: { type: 'automation', event: { type: 'ENTITY_UPDATED', blueprintIdentifier: 'service' } },
      invocationMethod: { payload: { action: 'deploy_on_main_version', inputs: { environment: 'dev' } } },
    });

    const again = await portTool(['sync', '--check']);
    expect(again.code).toBe(0);
    expect(linesOf(again.stdout)).toEqual([
      'create_vm: unchanged',
      'deploy_service: unchanged',
      'rollout_service: unchanged',
      'deploy_on_main_version (automation): unchanged',
      'Check: 0 to create, 0 to update, 4 unchanged. Nothing was changed in Port.',
    ]);
    expect(writes()).toHaveLength(4);
  });

  it('shows drift made in Port per field, --check fails on it, and sync puts the code back while keeping approval settings', async () => {
    await portTool(['sync']);
    const current = await port.findAction('create_vm');
    if (current === undefined || current.trigger.type !== 'self-service') throw new Error('create_vm was not created');
    const trigger = structuredClone(current.trigger) as unknown as { userInputs: { properties: Record<string, Record<string, unknown>> } };
    const cpu = trigger.userInputs.properties.cpu;
    if (cpu) cpu.maximum = 32;
    trigger.userInputs.properties.comment = { type: 'string' };
    const { createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, ...rest } = current;
    await port.updateAction('create_vm', {
      ...(rest as Parameters<PortClient['updateAction']>[1]),
      trigger: trigger as never,
      title: 'VM please',
      approvalNotification: { type: 'email' },
    });

    const check = await portTool(['sync', '--check', '--only', 'create_vm']);
    expect(check.code).toBe(1);
    expect(linesOf(check.stdout)).toEqual([
      'create_vm: to update, 3 fields',
      '  ~ title: "VM please" → "Create a VM"',
      '  ~ trigger.userInputs.properties.cpu.maximum: 32 → 64',
      '  - trigger.userInputs.properties.comment: {"type":"string"}',
      'Check: 0 to create, 1 to update, 0 unchanged. Nothing was changed in Port.',
    ]);

    const sync = await portTool(['sync', '--only', 'create_vm']);
    expect(sync.code).toBe(0);
    expect(linesOf(sync.stdout)[0]).toBe('create_vm: updated');
    expect(emu.requests.filter((r) => r.method === 'PUT').map((r) => `${r.path} ${r.status}`)).toEqual([
      '/v1/actions/create_vm 200',
      '/v1/actions/create_vm 200',
    ]);
    const fixed = emu.actions.get('create_vm');
    expect(fixed?.title).toBe('Create a VM');
    // Set in Port, not in code: carried over by the PUT rather than reset.
    expect(fixed?.approvalNotification).toEqual({ type: 'email' });
    expect(fixed?.trigger.type === 'self-service' && fixed.trigger.userInputs.properties.comment).toBeUndefined();
  });

  it('writes environment into every payload with --environment', async () => {
    const result = await portTool(['sync', '--environment', 'staging']);
    expect(result.code).toBe(0);
    for (const action of emu.actions.values()) {
      expect((action.invocationMethod as { payload: { environment?: string } }).payload.environment).toBe('staging');
    }
  });

  it('reports a definition Port refuses and goes on with the others (exit 1)', async () => {
    emu.faults.push({
      match: { method: 'POST', path: '/v1/actions' },
      respond: { status: 422, body: { ok: false, error: 'invalid_request', message: 'nope' } },
    });
    const result = await portTool(['sync']);
    expect(result.code).toBe(1);
    const lines = linesOf(result.stdout);
    expect(lines[0]).toBe('create_vm: FAILED, Port refused it: Port API POST /v1/actions answered 422 (invalid_request: nope)');
    expect(lines.at(-1)).toBe('Synced: 3 created, 0 updated, 0 unchanged, 1 failed.');
    expect([...emu.actions.keys()]).toEqual(['deploy_service', 'rollout_service', 'deploy_on_main_version']);
  });

  it('refuses an input Port cannot express in one line, before any call to Port (exit 2)', async () => {
    const app = path.join(scratch, 'bad-app.ts');
    await writeFile(
      app,
      [
        "import * as z from 'zod';",
        "import { defineAction, defineApp } from 'port-kafka-lambda';",
        'const bad = defineAction({',
        "  identifier: 'bad_action',",
        '  inputs: z.object({ ok: z.string(), size: z.string().transform((s) => Number(s)), tags: z.record(z.string(), z.string()) }),',
        '  async handler() {},',
        '});',
        'export default defineApp({ actions: [bad] });',
      ].join('\n')
    );
    const result = await portTool(['sync', '--dry-run'], { env: { PORT_KAFKA_APP: app } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'port: bad_action: inputs.size: a transform or pipe (.transform, .pipe, z.preprocess) cannot be a Port user input (Port sends the value as typed; transform it in the handler)\n'
    );
    expect(emu.requests).toEqual([]);
  });

  it('needs Port credentials, or --emulator (exit 2)', async () => {
    const result = await runTool('port', ['sync', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'port: set PORT_CLIENT_ID and PORT_CLIENT_SECRET (Port app → Credentials), or add --emulator to try it on an embedded emulator\n'
    );
    const embedded = await runTool('port', ['sync', '--dry-run', '--emulator']);
    expect(embedded.code).toBe(0);
    expect(linesOf(embedded.stdout).at(-1)).toBe('Dry run: 4 to create, 0 to update, 0 unchanged. Nothing was changed in Port.');
  });
});

describe('port pull', () => {
  it('round trip: sync, pull, and a project using the pulled schema syncs to the same form', async () => {
    await portTool(['sync']);
    const file = path.join(scratch, 'create-vm.inputs.ts');
    const pulled = await portTool(['pull', 'create_vm', '--out', file]);
    expect(pulled.code).toBe(0);
    expect(linesOf(pulled.stdout)[0]).toBe(`Wrote ${file} (5 inputs of "create_vm").`);
    const source = await readFile(file, 'utf8');
    expect(source).toContain('const createVmInputs = z.object({');
    expect(source).toContain('  cpu: z.number().min(1).max(64).meta({"title":"vCPUs"}),');
    expect(source).toContain('//   operation: "CREATE",');

    const app = path.join(scratch, 'pulled-app.ts');
    await writeFile(
      app,
      [
        "import { defineAction, defineApp } from 'port-kafka-lambda';",
        "import { createVmInputs } from './create-vm.inputs.js';",
        'const createVm = defineAction({',
        "  identifier: 'create_vm',",
        "  title: 'Create a VM',",
        "  icon: 'Server',",
        "  description: 'Create a new VM in the cloud provider',",
        "  blueprint: 'vm',",
        "  operation: 'CREATE',",
        '  inputs: createVmInputs,',
        '  async handler() {},',
        '});',
        'export default defineApp({ actions: [createVm] });',
      ].join('\n')
    );
    const check = await portTool(['sync', '--check'], { env: { PORT_KAFKA_APP: app } });
    expect(linesOf(check.stdout)).toEqual([
      'create_vm: unchanged',
      'Check: 0 to create, 0 to update, 1 unchanged. Nothing was changed in Port.',
    ]);
    expect(check.code).toBe(0);
  });

  it('prints to stdout with --out -, with warnings for what zod cannot say on stderr', async () => {
    await port.createAction({
      identifier: 'restart_service',
      title: 'Restart',
      trigger: {
        type: 'self-service',
        operation: 'DAY-2',
        blueprintIdentifier: 'service',
        userInputs: {
          properties: {
            reason: { type: 'string', minLength: 3, dependsOn: ['force'] },
            force: { type: 'boolean', default: false },
          },
          required: ['reason'],
          order: ['force', 'reason'],
        },
      },
      invocationMethod: { type: 'KAFKA', payload: {} },
    });
    const result = await portTool(['pull', 'restart_service', '--out', '-']);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')[1]).toBe('pull: warning: inputs.reason: dependsOn not expressed in zod (a sync removes it from Port)');
    expect(result.stdout).toContain(
      ['const restartServiceInputs = z.object({', '  force: z.boolean().default(false),', '  reason: z.string().min(3),', '});'].join('\n')
    );
  });

  it('refuses an unknown action, an automation, and replacing a file without --force (exit 2)', async () => {
    await portTool(['sync', '--only', 'deploy_on_main_version']);
    const unknown = await portTool(['pull', 'ghost', '--out', '-']);
    expect([unknown.code, linesOf(unknown.stderr).at(-1)]).toEqual([2, 'port: Port has no action "ghost"']);
    const automation = await portTool(['pull', 'deploy_on_main_version', '--out', '-']);
    expect([automation.code, linesOf(automation.stderr).at(-1)]).toEqual([
      2,
      'port: "deploy_on_main_version" is an automation: it has no user inputs to pull',
    ]);
    const existing = path.join(scratch, 'exists.inputs.ts');
    await writeFile(existing, '// mine\n');
    const refused = await portTool(['pull', 'deploy_on_main_version', '--out', existing]);
    expect([refused.code, refused.stderr]).toEqual([2, `port: ${existing} exists; add --force to replace it, or --out another file\n`]);
    expect(await readFile(existing, 'utf8')).toBe('// mine\n');
  });
});
