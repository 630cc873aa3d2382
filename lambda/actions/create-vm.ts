import { defineAction } from 'port-kafka-lambda';
import * as z from 'zod';

/**
 * Creates a VM (here: computes its identity and size class) and records it in
 * Port as a `vm` entity tied to the run. The inputs mirror Port's own
 * "Create VM" guide: cpu, memory, storage and region.
 */
const createVm = defineAction({
  identifier: 'create_vm',
  blueprint: 'vm',
  // What `npm run port -- sync` writes to Port with the form below (docs/actions-as-code.md).
  title: 'Create a VM',
  icon: 'Server',
  operation: 'CREATE',
  description: 'Create a new VM in the cloud provider',
  inputs: z.object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes, 2 to 41 characters')
      .meta({ title: 'Name', description: 'Leave empty to name it after the run' })
      .optional(),
    cpu: z.number().int().min(1).max(64).meta({ title: 'vCPUs' }),
    memory: z.number().int().min(1).max(512).meta({ title: 'Memory (GiB)' }),
    storage: z.number().int().min(10).max(16_384).meta({ title: 'Storage (GiB)' }),
    region: z.enum(['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2']).meta({ title: 'Region' }),
  }),
  async handler({ runId, inputs, trigger }, ctx) {
    const identifier = inputs.name ?? `vm-${runId.replace(/^r(un)?_/, '').toLowerCase()}`;
    const sizeClass = inputs.cpu <= 2 ? 'small' : inputs.cpu <= 8 ? 'medium' : 'large';
    await ctx.log(
      `Provisioning ${identifier}: ${inputs.cpu} vCPU, ${inputs.memory} GiB RAM, ${inputs.storage} GiB disk in ${inputs.region}`
    );
    await ctx.setStatusLabel('Provisioning');
    const entity = await ctx.upsertEntity('vm', {
      identifier,
      title: identifier,
      properties: {
        region: inputs.region,
        cpu_cores: inputs.cpu,
        memory_size: inputs.memory,
        storage_size: inputs.storage,
        free_storage: inputs.storage,
        size_class: sizeClass,
        deployed: 'Deployed',
        requested_by: trigger.by.user?.email ?? trigger.by.userId ?? 'unknown',
      },
    });
    const consoleUrl = `https://${inputs.region}.console.aws.amazon.com/ec2/home?region=${inputs.region}#Instances:tag:Name=${identifier}`;
    await ctx.addLink(consoleUrl);
    return {
      summary: `Created ${sizeClass} VM ${entity.identifier} in ${inputs.region}`,
      statusLabel: 'Running',
      externalRunId: `vm/${identifier}`,
    };
  },
});

export { createVm };
