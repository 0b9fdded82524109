/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // The OpenTelemetry SDK's OTLP/HTTP transport loads node:http with a dynamic import(), which Jest's CommonJS
    // runtime refuses without --experimental-vm-modules; compiled to require(), it runs as in a service.
    '/@opentelemetry/otlp-exporter-base/.+\\.cjs$': ['@swc/jest'],
  },
  transformIgnorePatterns: ['^(?!.*/node_modules/@opentelemetry/otlp-exporter-base/).*/node_modules/'],
  testTimeout: 60000,
  // Jest's default is one worker fewer than the cores: on this 2-core machine that is one; the tests are
  // mostly waiting on promtool, PostgreSQL and file I/O, so two workers use both cores.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
