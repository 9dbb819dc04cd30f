import { defineConfig } from 'vitest/config';

// One vitest run, several projects: the listener's unit tests live beside its code, the rest under test/.
// LWC tests are Jest's (sfdx-lwc-jest) and stay out of here.
export default defineConfig({
    test: {
        // One temporary directory per run, removed at its end (test/support/temp-root.ts).
        globalSetup: ['test/support/temp-root.ts'],
        projects: [
            {
                test: {
                    name: 'listener',
                    include: ['listener/src/**/*.test.ts'],
                    environment: 'node'
                }
            },
            {
                test: {
                    name: 'emulators',
                    include: ['test/emulators/**/*.test.ts'],
                    environment: 'node',
                    testTimeout: 30_000
                }
            },
            {
                test: {
                    name: 'metadata',
                    include: ['test/metadata/**/*.test.ts'],
                    environment: 'node',
                    testTimeout: 120_000,
                    hookTimeout: 180_000
                }
            },
            {
                // Faults, hostile input and secrets: `npm test` runs a short version of each suite,
                // `npm run test:reliability` the full one (RELIABILITY=full).
                test: {
                    name: 'reliability',
                    include: ['test/reliability/**/*.test.ts'],
                    environment: 'node',
                    testTimeout: 300_000,
                    hookTimeout: 60_000
                }
            },
            {
                // The admin page in real Chromium (@sparticuz/chromium + playwright-core), one file so one browser.
                test: {
                    name: 'browser',
                    include: ['test/browser/**/*.test.ts'],
                    environment: 'node',
                    testTimeout: 60_000,
                    hookTimeout: 180_000
                }
            },
            {
                test: {
                    name: 'e2e',
                    include: ['test/e2e/**/*.test.ts'],
                    environment: 'node',
                    testTimeout: 60_000,
                    hookTimeout: 60_000
                }
            }
        ]
    }
});
