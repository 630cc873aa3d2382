import { existsSync } from 'node:fs';

// ESM Jest: @swc/jest emits ES modules because the packages are "type": "module"
// and the test script runs Node with --experimental-vm-modules (Middy 7 is ESM-only).
// One run covers the template's tests (test/) and the package's (packages/*/test).
// Only the folders that exist: a project made from the template has no packages/
// (nor does the copy the new-action test generates into), and Jest refuses a missing root.
const roots = ['test', 'packages/port-kafka-lambda/test']
  .filter((dir) => existsSync(new URL(dir, import.meta.url)))
  .map((dir) => `<rootDir>/${dir}`);

export default {
  testEnvironment: 'node',
  // `port-kafka-lambda` resolves to its TypeScript source inside this repository.
  testEnvironmentOptions: { customExportConditions: ['port-kafka-lambda-source', 'node', 'node-addons'] },
  roots,
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 30000,
};
