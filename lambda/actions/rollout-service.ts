import { defineAction } from 'port-kafka-lambda';
import * as z from 'zod';
import { type DeploymentApi, simulatedDeployments } from '../integrations/deployments.js';

/**
 * A long-running action (docs/long-running-actions.md): starts a rollout, then
 * polls until the service is healthy, which takes minutes to hours. Declared
 * `durable`, its runs execute as durable executions of the run executor, so
 * the Kafka partition moves on at once, waits bill no compute, and a run may
 * last up to its `timeout`.
 *
 * The handler's body runs again after every wait (replay): whatever talks to
 * another system is inside `ctx.step` or `ctx.waitUntil`, whose results are
 * checkpointed, and `ctx.log` outside a step is sent once.
 */
const createRolloutService = (deployments: DeploymentApi) =>
  defineAction({
    identifier: 'rollout_service',
    blueprint: 'service',
    title: 'Roll out service',
    icon: 'Deployment',
    operation: 'DAY-2',
    description: 'Roll out a version of a service and wait until it is healthy',
    durable: { timeout: '2h' },
    inputs: z.object({
      version: z
        .string()
        .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semantic version such as 1.4.2')
        .meta({ title: 'Version' }),
      environment: z.enum(['dev', 'staging', 'production']).meta({ title: 'Environment' }),
    }),
    async handler({ inputs, entity, entityIdentifier }, ctx) {
      const service = entity?.identifier ?? entityIdentifier;
      if (!service) throw new Error('rollout_service must be run on a service entity');
      await ctx.log(`Rolling out ${service} ${inputs.version} to ${inputs.environment}`);

      const deployment = await ctx.step('start deployment', () =>
        deployments.start({ service, version: inputs.version, environment: inputs.environment })
      );
      await ctx.addLink(deployment.url);

      const health = await ctx.waitUntil(
        'service healthy',
        async () => {
          const status = await deployments.status(deployment.id);
          if (status.state === 'failed') throw new Error(`deployment ${deployment.id} failed`);
          // Inside the check: goes straight to Port, once per check.
          await ctx.setStatusLabel(`${status.ready}/${status.desired} replicas ready`);
          return status.state === 'healthy' ? status : undefined;
        },
        { interval: '30s', timeout: '30m' }
      );

      await ctx.upsertEntity('service', {
        identifier: service,
        properties: { [`${inputs.environment}_version`]: inputs.version },
      });
      return {
        summary: `Rolled out ${service} ${inputs.version} to ${inputs.environment}: ${health.ready}/${health.desired} replicas healthy`,
        statusLabel: 'healthy',
      };
    },
  });

const rolloutService = createRolloutService(simulatedDeployments());

export { createRolloutService, rolloutService };
