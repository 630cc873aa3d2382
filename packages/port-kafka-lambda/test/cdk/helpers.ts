import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { DeployConfig } from '../../src/cdk/config.js';
import { loadDeployConfig } from '../../src/cdk/config.js';
import { PortKafkaStack } from '../../src/cdk/stack.js';

const ORG = 'org_sYG4DOJZNGy8bYnt';

/** The minimum valid configuration. */
const BASE: Record<string, unknown> = {
  orgId: ORG,
  portRegion: 'eu',
  consumerGroupId: `${ORG}.lambda`,
};

/** Validates a configuration given as context values (no environment). */
function configOf(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): DeployConfig {
  const values: Record<string, unknown> = { ...BASE, ...overrides };
  return loadDeployConfig((key) => values[key], env);
}

/** cdk.json's feature flags, so tests synthesize what `cdk synth` would. */
function featureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../cdk.json', import.meta.url)), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return Object.fromEntries(Object.entries(cdkJson.context).filter(([k]) => k.startsWith('@aws-cdk')));
}

const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

/** Builds the stack with bundling disabled (no esbuild run per test). */
function synth(
  overrides: Record<string, unknown> = {},
  actionIdentifiers?: readonly string[]
): { stack: PortKafkaStack; template: Template } {
  const app = new App({ context: { ...featureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new PortKafkaStack(app, 'TestStack', {
    config: configOf(overrides),
    handlerEntry: FIXTURE_ENTRY,
    ...(actionIdentifiers === undefined ? {} : { actionIdentifiers }),
  });
  return { stack, template: Template.fromStack(stack) };
}

export { BASE, configOf, ORG, synth };
