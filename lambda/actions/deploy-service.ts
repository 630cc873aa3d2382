import { defineAction, secretInput } from 'port-kafka-lambda';
import * as z from 'zod';

/**
 * A day-2 action on a `service` entity: rolls out a version to an
 * environment. Shows the parts of a run most actions need: typed inputs, the
 * entity the run was triggered on, a secret input decrypted only when used,
 * progress logs, an entity update and links.
 */
const deployService = defineAction({
  identifier: 'deploy_service',
  blueprint: 'service',
  title: 'Deploy service',
  icon: 'Deployment',
  operation: 'DAY-2',
  description: 'Deploy a version of a service to an environment',
  inputs: z.object({
    version: z
      .string()
      .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semantic version such as 1.4.2')
      .meta({ title: 'Version' }),
    environment: z.enum(['dev', 'staging', 'production']).meta({ title: 'Environment' }),
    // Secret input: Port encrypts it (AES-256-GCM with the client secret) before it reaches Kafka.
    registry_token: secretInput().meta({ title: 'Registry token' }).optional(),
  }),
  async handler({ inputs, entity, entityIdentifier, trigger }, ctx) {
    const service = entity?.identifier ?? entityIdentifier;
    if (!service) throw new Error('deploy_service must be run on a service entity');
    if (inputs.environment === 'production' && trigger.origin === 'AUTOMATION') {
      throw new Error('automations may not deploy to production');
    }
    if (inputs.registry_token !== undefined) {
      // Only proves the token is usable; it is never logged or reported.
      const token = await ctx.decrypt('registry_token');
      await ctx.log(`Registry credentials decrypted (${token.length} characters)`);
    }
    const steps = ['Pulling image', 'Updating task definition', 'Waiting for healthy targets'];
    for (const [i, step] of steps.entries()) {
      if (ctx.signal.aborted) throw new Error('deployment interrupted by the deadline');
      await ctx.log(`[${i + 1}/${steps.length}] ${step}`);
    }
    await ctx.upsertEntity('service', {
      identifier: service,
      properties: { [`${inputs.environment}_version`]: inputs.version },
    });
    return {
      summary: `Deployed ${service} ${inputs.version} to ${inputs.environment}`,
      link: `https://deployments.example.com/${service}/${inputs.environment}/${inputs.version}`,
    };
  },
});

export { deployService };
