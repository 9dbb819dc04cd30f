// One flat config, scoped by area: the LWC components follow Salesforce's LWC rules, the TypeScript of the listener
// and of the test doubles follows typescript-eslint's recommended type-aware rules.
import { defineConfig, globalIgnores } from 'eslint/config';
import eslintJs from '@eslint/js';
import globals from 'globals';
import jestPlugin from 'eslint-plugin-jest';
import salesforceLwcConfig from '@salesforce/eslint-config-lwc/recommended.js';
import tseslint from 'typescript-eslint';

export default defineConfig([
    globalIgnores([
        '**/node_modules/**',
        '.data/**',
        'bench-out/**',
        'listener/dist/**',
        'listener/dist.*/**',
        'coverage/**',
        '.sfdx/**',
        '.sf/**'
    ]),

    // Lightning Web Components
    {
        files: ['force-app/main/default/lwc/**/*.js'],
        extends: [salesforceLwcConfig]
    },
    {
        files: ['force-app/main/default/lwc/**/*.test.js'],
        extends: [salesforceLwcConfig],
        rules: { '@lwc/lwc/no-unexpected-wire-adapter-usages': 'off' },
        languageOptions: { globals: { ...globals.node, ...jestPlugin.environments.globals.globals } }
    },

    // The listener, the emulators, the tests, the scripts
    {
        files: ['listener/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', '*.ts'],
        extends: [eslintJs.configs.recommended, tseslint.configs.recommended],
        languageOptions: { globals: { ...globals.node } },
        rules: {
            '@typescript-eslint/consistent-type-imports': 'error',
            '@typescript-eslint/no-unused-vars': [
                'error',
                { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
            ],
            '@typescript-eslint/no-explicit-any': 'warn'
        }
    },
    // Only the configuration module reads the environment.
    {
        files: ['listener/src/**/*.ts'],
        ignores: ['listener/src/config/env.ts', 'listener/src/**/*.test.ts'],
        rules: {
            'no-restricted-properties': [
                'error',
                { object: 'process', property: 'env', message: 'Read configuration through config/env.ts.' }
            ]
        }
    },
    {
        files: ['**/*.js'],
        ignores: ['force-app/**', 'listener/src/admin/assets/**'],
        extends: [eslintJs.configs.recommended],
        languageOptions: { globals: { ...globals.node } }
    },
    // The admin page's script runs in the browser.
    {
        files: ['listener/src/admin/assets/**/*.js'],
        extends: [eslintJs.configs.recommended],
        languageOptions: { globals: { ...globals.browser }, sourceType: 'script' }
    }
]);
