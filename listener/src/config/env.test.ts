import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, configWarnings, parseEnv, parseStoreEnv, secretValues } from './env.ts';
import type { Env } from './env.ts';

const base = { LIVESTORM_WEBHOOK_TOKEN: 'webhook-token-0123456789abcdef' };
const token = { SF_INSTANCE_URL: 'https://acme.my.salesforce.com', SF_ACCESS_TOKEN: '00Dxx!secret' };
const clientCredentials = {
    SF_LOGIN_URL: 'https://acme.my.salesforce.com',
    SF_CLIENT_ID: '3MVG-client',
    SF_CLIENT_SECRET: 'client-secret-value'
};
const jwt = {
    SF_LOGIN_URL: 'https://login.salesforce.com',
    SF_CLIENT_ID: '3MVG-client',
    SF_USERNAME: 'integration@acme.com',
    SF_JWT_KEY_FILE: '/keys/server.key'
};

function errorOf(env: Env, options?: { sfdxProjectFile?: string }): ConfigError {
    try {
        parseEnv(env, options);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return error as ConfigError;
    }
    throw new Error('parseEnv accepted the environment');
}

/** One sentence: a single terminal full stop, no line breaks. */
function expectOneSentence(message: string): void {
    expect(message).not.toMatch(/\n/);
    expect(message.trim()).toMatch(/[.]$/);
}

describe('parseEnv', () => {
    it('reads the access token mode and applies every default', () => {
        const config = parseEnv({ ...base, ...token });
        expect(config.salesforce).toEqual({
            mode: 'token',
            apiVersion: '66.0',
            instanceUrl: 'https://acme.my.salesforce.com',
            accessToken: '00Dxx!secret'
        });
        expect(config.livestorm).toEqual({
            apiUrl: 'https://api.livestorm.co/v1',
            apiToken: null,
            webhookToken: base.LIVESTORM_WEBHOOK_TOKEN,
            webhookSecret: null
        });
        expect(config.adminToken).toBeNull();
        expect(config.configFile).toBe(join(process.cwd(), 'livestorm-sf.config.json'));
        expect(config.databaseUrl).toBeNull();
        expect(config.dataDir).toBe(join(process.cwd(), '.data'));
        expect(config.port).toBe(3000);
        expect(config.logLevel).toBe('info');
    });

    it('reads the client credentials mode', () => {
        expect(parseEnv({ ...base, ...clientCredentials }).salesforce).toEqual({
            mode: 'client_credentials',
            apiVersion: '66.0',
            loginUrl: 'https://acme.my.salesforce.com',
            clientId: '3MVG-client',
            clientSecret: 'client-secret-value'
        });
    });

    it('reads the JWT bearer mode', () => {
        expect(parseEnv({ ...base, ...jwt }).salesforce).toEqual({
            mode: 'jwt',
            apiVersion: '66.0',
            loginUrl: 'https://login.salesforce.com',
            clientId: '3MVG-client',
            username: 'integration@acme.com',
            jwtKeyFile: '/keys/server.key'
        });
    });

    it('reads the sf CLI org mode', () => {
        expect(parseEnv({ ...base, SF_TARGET_ORG: 'my-org' }).salesforce).toEqual({
            mode: 'sf_cli',
            apiVersion: '66.0',
            targetOrg: 'my-org'
        });
    });

    it('takes every optional variable as given', () => {
        const config = parseEnv({
            ...base,
            ...token,
            SF_API_VERSION: 'v62.0',
            LIVESTORM_API_URL: 'http://127.0.0.1:9999/v1/',
            LIVESTORM_API_TOKEN: 'ls-api',
            LIVESTORM_WEBHOOK_SECRET: 'signing',
            ADMIN_TOKEN: 'admin-token-value',
            CONFIG_FILE: '/etc/lsf.json',
            DATABASE_URL: 'postgres://u:p@db/lsf',
            DATA_DIR: '/var/lib/lsf',
            PORT: '8080',
            LOG_LEVEL: 'DEBUG'
        });
        expect(config.salesforce.apiVersion).toBe('62.0');
        expect(config.livestorm).toEqual({
            apiUrl: 'http://127.0.0.1:9999/v1',
            apiToken: 'ls-api',
            webhookToken: base.LIVESTORM_WEBHOOK_TOKEN,
            webhookSecret: 'signing'
        });
        expect(config).toMatchObject({
            adminToken: 'admin-token-value',
            configFile: '/etc/lsf.json',
            databaseUrl: 'postgres://u:p@db/lsf',
            dataDir: '/var/lib/lsf',
            port: 8080,
            logLevel: 'debug'
        });
    });

    it('treats empty variables as unset', () => {
        const config = parseEnv({ ...base, ...token, ADMIN_TOKEN: '', SF_TARGET_ORG: ' ', PORT: '' });
        expect(config.adminToken).toBeNull();
        expect(config.salesforce.mode).toBe('token');
        expect(config.port).toBe(3000);
    });

    it('requires LIVESTORM_WEBHOOK_TOKEN with the sentence that explains it', () => {
        const error = errorOf({ ...token });
        expect(error.message).toBe(
            'LIVESTORM_WEBHOOK_TOKEN is required: it is the secret part of the webhook URL you register in Livestorm.'
        );
    });

    it('refuses a webhook token that cannot sit in a URL path', () => {
        const error = errorOf({ ...token, LIVESTORM_WEBHOOK_TOKEN: 'has/a/slash-and-more' });
        expect(error.message).toMatch(/^LIVESTORM_WEBHOOK_TOKEN /);
        expect(error.message).not.toContain('has/a/slash');
        expectOneSentence(error.message);
    });

    it('names the missing Salesforce auth when none is configured', () => {
        const error = errorOf({ ...base });
        expect(error.message).toMatch(/Salesforce auth is not configured/);
        expect(error.message).toContain('SF_TARGET_ORG');
        expectOneSentence(error.message);
    });

    it.each([
        ['SF_ACCESS_TOKEN', { SF_INSTANCE_URL: token.SF_INSTANCE_URL }],
        ['SF_INSTANCE_URL', { SF_ACCESS_TOKEN: token.SF_ACCESS_TOKEN }],
        ['SF_LOGIN_URL', { SF_CLIENT_ID: 'id', SF_CLIENT_SECRET: 's3cr3t' }],
        ['SF_CLIENT_ID', { SF_LOGIN_URL: clientCredentials.SF_LOGIN_URL, SF_CLIENT_SECRET: 's3cr3t' }],
        ['SF_USERNAME', { ...jwt, SF_USERNAME: undefined }],
        ['SF_JWT_KEY_FILE', { ...jwt, SF_JWT_KEY_FILE: undefined }],
        ['SF_CLIENT_ID', { ...jwt, SF_CLIENT_ID: undefined }]
    ])('names %s when the rest of its auth mode is given', (missing, variables) => {
        const error = errorOf({ ...base, ...variables });
        expect(error.message).toMatch(new RegExp(`^${missing} is required for Salesforce`));
        expectOneSentence(error.message);
    });

    it('explains SF_CLIENT_ID without a secret or a JWT key', () => {
        const error = errorOf({ ...base, SF_LOGIN_URL: clientCredentials.SF_LOGIN_URL, SF_CLIENT_ID: 'id' });
        expect(error.message).toContain('SF_CLIENT_SECRET');
        expect(error.message).toContain('SF_JWT_KEY_FILE');
    });

    it.each([
        ['token and sf CLI', { ...token, SF_TARGET_ORG: 'org' }, ['SF_INSTANCE_URL', 'SF_TARGET_ORG']],
        ['client credentials and JWT', { ...clientCredentials, ...jwt }, ['SF_CLIENT_SECRET', 'SF_USERNAME']],
        [
            'token and client credentials',
            { ...token, ...clientCredentials },
            ['SF_INSTANCE_URL', 'SF_CLIENT_SECRET']
        ]
    ])('refuses two auth modes at once (%s) and names both variables', (_name, variables, named) => {
        const error = errorOf({ ...base, ...variables });
        expect(error.message).toMatch(/ambiguous/);
        for (const name of named) expect(error.message).toContain(name);
        expect(error.message).not.toContain('00Dxx!secret');
        expect(error.message).not.toContain('client-secret-value');
        expectOneSentence(error.message);
    });

    it.each([
        ['PORT', { PORT: 'eighty' }],
        ['PORT', { PORT: '70000' }],
        ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
        ['SF_API_VERSION', { SF_API_VERSION: '66' }],
        ['LIVESTORM_API_URL', { LIVESTORM_API_URL: 'not a url' }],
        ['LIVESTORM_API_URL', { LIVESTORM_API_URL: 'ftp://api.livestorm.co' }],
        ['SF_INSTANCE_URL', { SF_INSTANCE_URL: 'acme.my.salesforce.com' }],
        ['DATABASE_URL', { DATABASE_URL: 'mysql://user:hunter2@db/x' }]
    ])('names %s when its value is wrong', (name, variables) => {
        const error = errorOf({ ...base, ...token, ...variables });
        expect(error.message.startsWith(name)).toBe(true);
        expect(error.message).not.toContain('hunter2');
        expectOneSentence(error.message);
    });

    it('reads the default API version from the given sfdx-project.json', () => {
        const dir = mkdtempSync(join(tmpdir(), 'env-test-'));
        onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
        const file = join(dir, 'sfdx-project.json');
        writeFileSync(file, JSON.stringify({ sourceApiVersion: '64.0' }));
        expect(parseEnv({ ...base, ...token }, { sfdxProjectFile: file }).salesforce.apiVersion).toBe('64.0');
        const error = errorOf({ ...base, ...token }, { sfdxProjectFile: join(dir, 'absent.json') });
        expect(error.message).toMatch(/^SF_API_VERSION is not set/);
    });
});

describe('parseStoreEnv', () => {
    it('needs neither Salesforce nor the webhook token', () => {
        expect(parseStoreEnv({ DATA_DIR: '/tmp/x', INIT_CWD: '/srv/lsf' })).toEqual({
            configFile: '/srv/lsf/livestorm-sf.config.json',
            databaseUrl: null,
            dataDir: '/tmp/x',
            logLevel: 'info',
            database: {
                poolMax: 10,
                statementTimeoutMs: 15_000,
                leaseTtlMs: 30_000,
                instanceId: `${hostname()}-${process.pid}`
            }
        });
    });

    it('reads the settings of several instances on one database, and explains a wrong one', () => {
        expect(
            parseStoreEnv({
                DATABASE_POOL_MAX: '4',
                DATABASE_STATEMENT_TIMEOUT_MS: '5000',
                LEASE_TTL_MS: '10000',
                INSTANCE_ID: 'web-2'
            }).database
        ).toEqual({ poolMax: 4, statementTimeoutMs: 5000, leaseTtlMs: 10_000, instanceId: 'web-2' });
        expect(() => parseStoreEnv({ LEASE_TTL_MS: '10s' })).toThrow(
            'LEASE_TTL_MS must be a whole number between 1000 and 3600000, got "10s".'
        );
        expect(() => parseStoreEnv({ DATABASE_POOL_MAX: '0' })).toThrow(
            /DATABASE_POOL_MAX must be a whole number/
        );
        expect(() => parseStoreEnv({ INSTANCE_ID: 'web 2' })).toThrow(
            /INSTANCE_ID must be 1 to 100 printable/
        );
    });

    it('takes relative paths from the directory npm was started in (INIT_CWD), else the working directory', () => {
        expect(
            parseStoreEnv({ INIT_CWD: '/srv/lsf', DATA_DIR: 'store', CONFIG_FILE: '../etc/lsf.json' })
        ).toMatchObject({
            dataDir: '/srv/lsf/store',
            configFile: '/srv/etc/lsf.json'
        });
        expect(parseStoreEnv({ DATA_DIR: './store' }).dataDir).toBe(join(process.cwd(), 'store'));
        expect(parseStoreEnv({ INIT_CWD: '  ' }).dataDir).toBe(join(process.cwd(), '.data'));
    });
});

describe('secretValues and configWarnings', () => {
    it('lists every configured secret', () => {
        const config = parseEnv({
            ...base,
            ...token,
            LIVESTORM_API_TOKEN: 'ls-api',
            LIVESTORM_WEBHOOK_SECRET: 'signing',
            ADMIN_TOKEN: 'admin-token-value'
        });
        expect(secretValues(config).sort()).toEqual(
            ['00Dxx!secret', 'admin-token-value', 'ls-api', 'signing', base.LIVESTORM_WEBHOOK_TOKEN].sort()
        );
    });

    it('lists the database password alone too, decoded', () => {
        const config = parseEnv({
            ...base,
            ...token,
            DATABASE_URL: 'postgres://livestorm:p%40ss-w0rd-long@db.internal:5432/livestorm'
        });
        expect(secretValues(config)).toContain('p@ss-w0rd-long');
        expect(secretValues(config)).toContain(
            'postgres://livestorm:p%40ss-w0rd-long@db.internal:5432/livestorm'
        );
    });

    it('warns about short tokens without refusing them', () => {
        const config = parseEnv({ ...token, LIVESTORM_WEBHOOK_TOKEN: 'short', ADMIN_TOKEN: 'tiny' });
        const warnings = configWarnings(config).join(' ');
        expect(warnings).toContain('LIVESTORM_WEBHOOK_TOKEN');
        expect(warnings).toContain('ADMIN_TOKEN');
    });
});
