import { afterEach, describe, expect, it } from '@jest/globals';
import { createHarness, type Harness, kafkaEvent, kafkaRecord, lambdaContext, loadEvent } from 'port-kafka-lambda/testing';
import app from '../../lambda/app.js';

type AutomationMessage = { runId: string; action: string; inputs: Record<string, unknown> };

describe('deploy_on_main_version automation', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reaches deploy_service’s handler under the automation’s own identifier, with the inputs Port rendered', async () => {
    h = await createHarness({ app });
    // What Port sends for the automation: the payload names the automation, not the action.
    const message = loadEvent<AutomationMessage>('automation-run-deploy-service.json');
    message.action = 'deploy_on_main_version';
    h.emulator.createRun({ id: message.runId, action: 'deploy_on_main_version' });
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    expect(h.emulator.getRun(message.runId)).toMatchObject({ status: 'SUCCESS', summary: 'Deployed checkout 1.5.0 to dev' });
    expect(h.emulator.entities.get('service/checkout')?.properties).toMatchObject({ dev_version: '1.5.0' });
  });

  it('is one of the names the app routes (so the CDK event filter lets its runs through)', () => {
    const deploy = app.actions.find((a) => a.identifier === 'deploy_service');
    expect(deploy?.aliases).toContain('deploy_on_main_version');
  });
});
