import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DeployConfigError,
  durableActionIdentifiers,
  loadDeployConfig,
  PortKafkaStack,
  registeredIdentifiers,
} from 'port-kafka-lambda/cdk';

/*
 * CDK entry: wiring only. The stack settings live in cdk.json's "context"; they
 * are validated before any construct exists, and a bad value ends the process
 * with one line per problem. The stack bundles lambda/handler.ts.
 */
const app = new App();

let config;
try {
  config = loadDeployConfig((key) => app.node.tryGetContext(key));
} catch (error) {
  if (error instanceof DeployConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// The app's actions decide three things: the runs mapping's filter
// (filterActions), the sweeper's listing of runs left IN_PROGRESS in Port, and
// whether the stack creates the run executor (any durable action).
const lambdaApp = (await import('../lambda/app.js')).default;
const actionIdentifiers = config.filterActions || config.sweeper !== undefined ? registeredIdentifiers(lambdaApp.actions) : undefined;
const durableActions = durableActionIdentifiers(lambdaApp.actions);

const stack = new PortKafkaStack(app, config.stackName, {
  config,
  // No env: the stack is environment-agnostic, so `cdk synth` needs no AWS
  // credentials; `cdk deploy` uses the account and region of the CLI profile.
  description: `Port Kafka consumer for ${config.orgId} (${config.topics.runs}${config.topics.changeLog === undefined ? '' : `, ${config.topics.changeLog}`})`,
  ...(actionIdentifiers === undefined ? {} : { actionIdentifiers }),
  durableActions,
});
Tags.of(stack).add('port:org', config.orgId);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
