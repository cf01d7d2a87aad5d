import { configDefaults, defineConfig } from 'vitest/config';

// Pure packages (no I/O) run in the `domain` project without a broker; everything else in `integration`,
// against one real broker started by the global setup unless KAFKA_BROKERS names one.
// `vitest run --project domain` is the fast loop for the rules.
const pure = [
  'config',
  'logging',
  'directory',
  'lifecycle',
  'legal-calendar',
  'seal',
  'auth',
  'jurisdiction',
  'clocks',
  'notices',
  'kpi',
  'simulator',
  'federation',
  'asyncapi',
  'client',
  'repeats',
  'categorize',
].map((p) => `packages/${p}/src/**/*.test.ts`);
// The deployment files (deploy/): rendered and validated offline, no broker.
pure.push('test/deploy.test.ts');
// The situation service's analysis is pure (its wiring is tested in the integration project).
pure.push('services/situation/src/{analysis,baseline,seasonality}.test.ts');

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'domain', include: pure } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          // A custom exclude replaces vitest's default, which keeps node_modules (and the workspace links
          // under test/node_modules) out of the run.
          exclude: [...configDefaults.exclude, ...pure],
          globalSetup: ['./test/global-setup.ts'],
          setupFiles: ['./test/staff-env.ts'],
        },
      },
    ],
  },
});
