// ESM Jest: @swc/jest emits ES modules because the package is "type": "module"
// and the test script runs Node with --experimental-vm-modules (Middy 7 is ESM-only).
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 30000,
};
