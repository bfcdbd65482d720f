import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const libs = fileURLToPath(new URL('./libs/', import.meta.url));

export default defineConfig({
  // Nest's dependency injection reads decorator metadata, which esbuild does not emit; SWC does.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  // Specs import libraries from source, not from their built dist.
  resolve: { alias: [{ find: /^@portico\/([a-z-]+)$/, replacement: `${libs}$1/src/index.ts` }] },
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['libs/*/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites start real processes on a 2-core machine; running them one file at a time keeps timings honest.
          fileParallelism: false,
        },
      },
    ],
  },
});
