import { jestConfig } from '@salesforce/sfdx-lwc-jest/config.js';

const setupFilesAfterEnv = jestConfig.setupFilesAfterEnv || [];
setupFilesAfterEnv.push('<rootDir>/jest-sa11y-setup.js');

export default {
    ...jestConfig,
    // Only the LWC suites belong to Jest; the listener and the emulators are vitest's.
    roots: ['<rootDir>/force-app'],
    testRegex: '/__tests__/.*\\.test\\.js$',
    setupFilesAfterEnv
};
