import { defineAutomation } from 'port-kafka-lambda';
import { deployService } from '../actions/deploy-service.js';

/**
 * When a service's `main_version` changes in the catalog, deploy it to dev.
 * An automation has no form: its `inputs` are JQ over Port's event, rendered
 * by Port into the run's payload, and `deploy_service`'s handler runs with
 * them (it refuses production when the run comes from an automation).
 * `npm run port -- sync` writes it to Port next to the actions.
 */
const deployOnMainVersion = defineAutomation({
  identifier: 'deploy_on_main_version',
  title: 'Deploy a new main version to dev',
  icon: 'Deployment',
  trigger: { event: 'ENTITY_UPDATED', blueprint: 'service' },
  condition: '.diff.before.properties.main_version != .diff.after.properties.main_version',
  action: deployService,
  inputs: { version: '{{ .event.diff.after.properties.main_version }}', environment: 'dev' },
});

export { deployOnMainVersion };
