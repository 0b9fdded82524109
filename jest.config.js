/**
 * Two projects, both run by CI (`npm run test:all`):
 * - `checks` (`npm test`, a few minutes warm): the product synthesized and checked by schemas, the real tools'
 *   own checkers (promtool, amtool, vmalert, the components' config parsers) and unit tests of rules, routes and
 *   dashboards;
 * - `end-to-end` (`npm run test:e2e`): the real binaries started with the synthesized configs and fed data on
 *   loopback, a real API server, faults injected; these wait on real time (scrapes, evaluations, outages).
 */
const END_TO_END = ['test/integration/', 'test/control-plane/', 'test/dashboards-with-data.test.ts', 'test/dashboard-previews-with-data.test.ts', 'test/incidents.test.ts'];

const shared = {
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
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'checks', testPathIgnorePatterns: ['/node_modules/', ...END_TO_END.map((p) => `<rootDir>/${p}`)] },
    { ...shared, displayName: 'end-to-end', testMatch: END_TO_END.map((p) => (p.endsWith('/') ? `<rootDir>/${p}**/*.test.ts` : `<rootDir>/${p}`)) },
  ],
  testTimeout: 60000,
  // Jest's default is one worker fewer than the cores: on this 2-core machine that is one; the tests are
  // mostly waiting on promtool, PostgreSQL and file I/O, so two workers use both cores.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
