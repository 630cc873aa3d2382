// ESM Jest: @swc/jest emits ES modules because the packages are "type": "module"
// and the test script runs Node with --experimental-vm-modules (Middy 7 is ESM-only).
// One run covers the template's tests (test/) and the package's (packages/*/test).
export default {
  testEnvironment: 'node',
  // `port-kafka-lambda` resolves to its TypeScript source inside this repository.
  testEnvironmentOptions: { customExportConditions: ['port-kafka-lambda-source', 'node', 'node-addons'] },
  roots: ['<rootDir>/test', '<rootDir>/packages/port-kafka-lambda/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 30000,
};
