import { defineConfig } from 'vitest/config';

// Five projects: `unit` (pure logic, fakes at the SDK boundary only), `integration`
// (real dynalite, fauxqs, oidc-provider, real HTTP on loopback), `torture` (a fixed-seed slice of
// the randomised fault-injection suite), `browser` (the operator console in headless Chromium) and `infra` (CDK template
// assertions and cdk-nag on synthesized stacks). `npm test` runs them all.
export default defineConfig({
  test: {
    // Three test files at a time on two cores: many integration files spend most of their time
    // waiting (leases running out, queue visibility, provider timeouts), and the timing-sensitive
    // ones size their budgets from the capacity they measure, not from an idle machine.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        test: {
          // The fixed-seed slice of the randomised fault-injection suite (`npm run torture`).
          name: 'torture',
          include: ['test/torture/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        test: {
          // The operator console in headless Chromium (Debian's `chromium`, driven by
          // playwright-core); skipped, saying so, where no Chromium is installed.
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/setup.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          // Synthesizing a stack takes seconds (esbuild bundling, cdk-nag); one per file where possible.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
