import { createHarness as createAppHarness, type Harness } from '../../src/testing/harness.js';
import { exampleApp } from './example-app.js';

/** The public test harness, running the template's example app unless told otherwise. */
const createHarness = (options: Parameters<typeof createAppHarness>[0] = {}) => createAppHarness({ app: exampleApp, ...options });

export type { Harness };
export { createHarness };
