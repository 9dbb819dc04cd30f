// The listener's environment: the only module that reads process.env. Parsing is a pure function of the variables
// given, so tests pass their own objects and nothing happens at import time. Every error is one sentence that names
// the variable to fix and never repeats a secret's value.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Env = Readonly<Record<string, string | undefined>>;

export type SalesforceConfig =
    | { mode: 'token'; apiVersion: string; instanceUrl: string; accessToken: string }
    | {
          mode: 'client_credentials';
          apiVersion: string;
          loginUrl: string;
          clientId: string;
          clientSecret: string;
      }
    | {
          mode: 'jwt';
          apiVersion: string;
          loginUrl: string;
          clientId: string;
          username: string;
          jwtKeyFile: string;
      }
    | { mode: 'sf_cli'; apiVersion: string; targetOrg: string };

export type SalesforceAuthMode = SalesforceConfig['mode'];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the command line needs to reach the store and the behaviour settings (no Salesforce, no webhook token). */
export interface StoreConfig {
    /** Absolute path (a relative CONFIG_FILE is resolved against the start directory, see startDirectory). */
    configFile: string;
    /** PostgreSQL connection string, or null for the embedded store in dataDir. */
    databaseUrl: string | null;
    /** Absolute path (a relative DATA_DIR is resolved against the start directory, see startDirectory). */
    dataDir: string;
    logLevel: LogLevel;
    /** PostgreSQL only: several instances share one database (see DatabaseConfig). */
    database: DatabaseConfig;
}

/** How this instance uses PostgreSQL next to the others (the embedded store uses instanceId and leaseTtlMs only). */
export interface DatabaseConfig {
    /** DATABASE_POOL_MAX: connections this instance opens at most (default 10). */
    poolMax: number;
    /** DATABASE_STATEMENT_TIMEOUT_MS: a statement running longer is cancelled (default 15,000 ms). */
    statementTimeoutMs: number;
    /** LEASE_TTL_MS: how long a session's write lease lasts without renewal (default 30,000 ms). */
    leaseTtlMs: number;
    /** INSTANCE_ID: this instance's name in leases, metrics and the admin page (default hostname-pid). */
    instanceId: string;
}

export interface Config extends StoreConfig {
    salesforce: SalesforceConfig;
    livestorm: {
        /** Base URL including /v1. */
        apiUrl: string;
        apiToken: string | null;
        webhookToken: string;
        webhookSecret: string | null;
    };
    /** null: the admin page and admin API are disabled. */
    adminToken: string | null;
    port: number;
}

export class ConfigError extends Error {
    override name = 'ConfigError';
}

export const DEFAULT_LIVESTORM_API_URL = 'https://api.livestorm.co/v1';
export const DEFAULT_CONFIG_FILE = './livestorm-sf.config.json';
export const DEFAULT_DATA_DIR = './.data';
export const DEFAULT_PORT = 3000;
export const DEFAULT_DATABASE_POOL_MAX = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** sfdx-project.json sits at the repository root, one level above the listener package. */
const SFDX_PROJECT_FILE = fileURLToPath(new URL('../../../sfdx-project.json', import.meta.url));

/** Variables that hold secrets: their values never appear in messages or logs. */
export const SECRET_VARIABLES = [
    'SF_ACCESS_TOKEN',
    'SF_CLIENT_SECRET',
    'LIVESTORM_API_TOKEN',
    'LIVESTORM_WEBHOOK_TOKEN',
    'LIVESTORM_WEBHOOK_SECRET',
    'ADMIN_TOKEN',
    'DATABASE_URL'
] as const;

/** An empty variable counts as unset: `FOO= npm start` must not select an auth mode or enable a feature. */
function read(env: Env, name: string): string | undefined {
    const value = env[name]?.trim();
    return value ? value : undefined;
}

function readUrl(env: Env, name: string, fallback?: string): string | undefined {
    const value = read(env, name) ?? fallback;
    if (value === undefined) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new ConfigError(
            `${name} must be an absolute http(s) URL such as https://example.my.salesforce.com.`
        );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new ConfigError(`${name} must be an http(s) URL, not ${url.protocol.replace(':', '')}.`);
    }
    return value.replace(/\/+$/, '');
}

function parsePort(env: Env): number {
    const value = read(env, 'PORT');
    if (value === undefined) return DEFAULT_PORT;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port > 65_535) {
        throw new ConfigError(`PORT must be a whole number between 0 and 65535, got "${value}".`);
    }
    return port;
}

function parseLogLevel(env: Env): LogLevel {
    const value = read(env, 'LOG_LEVEL')?.toLowerCase() ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(value)) {
        throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}".`);
    }
    return value as LogLevel;
}

/**
 * The API version every REST path uses, so the listener and the deployed metadata agree.
 * @throws ConfigError when SF_API_VERSION is malformed, or unset and sfdx-project.json cannot supply it
 */
function parseApiVersion(env: Env, sfdxProjectFile: string): string {
    const explicit = read(env, 'SF_API_VERSION');
    if (explicit !== undefined) {
        const normalised = explicit.replace(/^v/i, '');
        if (!/^\d{2,3}\.0$/.test(normalised)) {
            throw new ConfigError(`SF_API_VERSION must look like 66.0, got "${explicit}".`);
        }
        return normalised;
    }
    let version: unknown;
    try {
        version = (JSON.parse(readFileSync(sfdxProjectFile, 'utf8')) as { sourceApiVersion?: unknown })
            .sourceApiVersion;
    } catch (error) {
        throw new ConfigError(
            `SF_API_VERSION is not set and ${sfdxProjectFile} cannot be read (${(error as Error).message}): set SF_API_VERSION, e.g. 66.0.`
        );
    }
    if (typeof version !== 'string' || !/^\d{2,3}\.0$/.test(version)) {
        throw new ConfigError(
            `SF_API_VERSION is not set and ${sfdxProjectFile} has no usable sourceApiVersion: set SF_API_VERSION, e.g. 66.0.`
        );
    }
    return version;
}

const MODE_LABELS: Record<SalesforceAuthMode, string> = {
    token: 'access token (SF_INSTANCE_URL + SF_ACCESS_TOKEN)',
    client_credentials: 'client credentials (SF_LOGIN_URL + SF_CLIENT_ID + SF_CLIENT_SECRET)',
    jwt: 'JWT bearer (SF_LOGIN_URL + SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE)',
    sf_cli: 'sf CLI org (SF_TARGET_ORG)'
};

/** The variable that, when present, selects each mode; SF_LOGIN_URL and SF_CLIENT_ID are shared and select none. */
const MODE_SELECTORS: Record<SalesforceAuthMode, readonly string[]> = {
    token: ['SF_INSTANCE_URL', 'SF_ACCESS_TOKEN'],
    client_credentials: ['SF_CLIENT_SECRET'],
    jwt: ['SF_USERNAME', 'SF_JWT_KEY_FILE'],
    sf_cli: ['SF_TARGET_ORG']
};

function requireWith(env: Env, name: string, mode: SalesforceAuthMode): string {
    const value = read(env, name);
    if (value === undefined) {
        throw new ConfigError(`${name} is required for Salesforce ${MODE_LABELS[mode]} authentication.`);
    }
    return value;
}

function requireUrlWith(env: Env, name: string, mode: SalesforceAuthMode): string {
    requireWith(env, name, mode);
    return readUrl(env, name) as string;
}

/**
 * Picks the one Salesforce auth mode the variables describe.
 * @throws ConfigError when none or more than one mode is configured, or a variable of the chosen mode is missing
 */
export function parseSalesforceEnv(env: Env, sfdxProjectFile = SFDX_PROJECT_FILE): SalesforceConfig {
    const selected = (Object.keys(MODE_SELECTORS) as SalesforceAuthMode[]).filter((mode) =>
        MODE_SELECTORS[mode].some((name) => read(env, name) !== undefined)
    );
    if (selected.length > 1) {
        const named = selected.map((mode) => {
            const variable = MODE_SELECTORS[mode].find((name) => read(env, name) !== undefined);
            return `${variable} selects ${MODE_LABELS[mode]}`;
        });
        throw new ConfigError(
            `Salesforce auth is ambiguous: ${named.join(' and ')}; set the variables of exactly one mode.`
        );
    }
    const mode = selected[0];
    if (mode === undefined) {
        if (read(env, 'SF_CLIENT_ID') !== undefined || read(env, 'SF_LOGIN_URL') !== undefined) {
            throw new ConfigError(
                'SF_CLIENT_ID/SF_LOGIN_URL are set but neither SF_CLIENT_SECRET (client credentials) nor SF_USERNAME + SF_JWT_KEY_FILE (JWT bearer) is.'
            );
        }
        throw new ConfigError(
            'Salesforce auth is not configured: set SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_LOGIN_URL + SF_CLIENT_ID + SF_CLIENT_SECRET, or SF_LOGIN_URL + SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE, or SF_TARGET_ORG.'
        );
    }
    const apiVersion = parseApiVersion(env, sfdxProjectFile);
    switch (mode) {
        case 'token':
            return {
                mode,
                apiVersion,
                instanceUrl: requireUrlWith(env, 'SF_INSTANCE_URL', mode),
                accessToken: requireWith(env, 'SF_ACCESS_TOKEN', mode)
            };
        case 'client_credentials':
            return {
                mode,
                apiVersion,
                loginUrl: requireUrlWith(env, 'SF_LOGIN_URL', mode),
                clientId: requireWith(env, 'SF_CLIENT_ID', mode),
                clientSecret: requireWith(env, 'SF_CLIENT_SECRET', mode)
            };
        case 'jwt':
            return {
                mode,
                apiVersion,
                loginUrl: requireUrlWith(env, 'SF_LOGIN_URL', mode),
                clientId: requireWith(env, 'SF_CLIENT_ID', mode),
                username: requireWith(env, 'SF_USERNAME', mode),
                jwtKeyFile: requireWith(env, 'SF_JWT_KEY_FILE', mode)
            };
        case 'sf_cli':
            return { mode, apiVersion, targetOrg: requireWith(env, 'SF_TARGET_ORG', mode) };
    }
}

/**
 * The directory the command was started from: relative DATA_DIR and CONFIG_FILE are taken from there, so `npm start`
 * and `npx livestorm-sf` run in one directory use one store and one config file. npm runs a script in the package's
 * own directory and passes the directory it was typed in as INIT_CWD; anything else runs where it was started.
 */
export function startDirectory(env: Env): string {
    return read(env, 'INIT_CWD') ?? process.cwd();
}

/** A path from the environment as an absolute path: relative ones are taken from {@link startDirectory}. */
export function resolveFromStart(env: Env, value: string): string {
    return isAbsolute(value) ? resolve(value) : resolve(startDirectory(env), value);
}

/**
 * The variables the command line needs to open the store and read the behaviour settings. Both paths come back
 * absolute.
 * @throws ConfigError naming the first wrong variable
 */
export function parseStoreEnv(env: Env): StoreConfig {
    return {
        configFile: resolveFromStart(env, read(env, 'CONFIG_FILE') ?? DEFAULT_CONFIG_FILE),
        databaseUrl: parseDatabaseUrl(env),
        dataDir: resolveFromStart(env, read(env, 'DATA_DIR') ?? DEFAULT_DATA_DIR),
        logLevel: parseLogLevel(env),
        database: {
            poolMax: parseWholeNumber(env, 'DATABASE_POOL_MAX', DEFAULT_DATABASE_POOL_MAX, 1, 1000),
            statementTimeoutMs: parseWholeNumber(
                env,
                'DATABASE_STATEMENT_TIMEOUT_MS',
                DEFAULT_STATEMENT_TIMEOUT_MS,
                100,
                3_600_000
            ),
            leaseTtlMs: parseWholeNumber(env, 'LEASE_TTL_MS', DEFAULT_LEASE_TTL_MS, 1000, 3_600_000),
            instanceId: parseInstanceId(env)
        }
    };
}

function parseWholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
    const value = read(env, name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
        throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got "${value}".`);
    }
    return number;
}

/** Shown in leases, metrics and logs: printable, at most 100 characters. */
function parseInstanceId(env: Env): string {
    const value = read(env, 'INSTANCE_ID') ?? `${hostname()}-${process.pid}`;
    if (!/^[\x21-\x7e]{1,100}$/.test(value)) {
        throw new ConfigError(
            'INSTANCE_ID must be 1 to 100 printable characters without spaces, such as the host name.'
        );
    }
    return value;
}

function parseDatabaseUrl(env: Env): string | null {
    const value = read(env, 'DATABASE_URL');
    if (value === undefined) return null;
    // The value carries a password: the message must not echo it.
    if (!/^postgres(ql)?:\/\//i.test(value)) {
        throw new ConfigError(
            'DATABASE_URL must be a PostgreSQL URL starting with postgres:// or postgresql://.'
        );
    }
    return value;
}

/**
 * The whole listener configuration.
 * @param env the variables, usually process.env
 * @param options.sfdxProjectFile where the default SF_API_VERSION is read (the repository's sfdx-project.json)
 * @returns a typed config; `salesforce.mode` tells which auth variables were given
 * @throws ConfigError whose message is one sentence naming the variable to fix
 * @example
 * const config = parseEnv(process.env);
 * if (config.salesforce.mode === 'token') console.log(config.salesforce.instanceUrl);
 */
export function parseEnv(env: Env, options: { sfdxProjectFile?: string } = {}): Config {
    const webhookToken = read(env, 'LIVESTORM_WEBHOOK_TOKEN');
    if (webhookToken === undefined) {
        throw new ConfigError(
            'LIVESTORM_WEBHOOK_TOKEN is required: it is the secret part of the webhook URL you register in Livestorm.'
        );
    }
    if (!/^[A-Za-z0-9._~-]+$/.test(webhookToken)) {
        throw new ConfigError(
            'LIVESTORM_WEBHOOK_TOKEN must contain only URL-safe characters (letters, digits, . _ ~ -), e.g. the output of `openssl rand -hex 24`.'
        );
    }
    const adminToken = read(env, 'ADMIN_TOKEN') ?? null;
    const store = parseStoreEnv(env);
    return {
        ...store,
        salesforce: parseSalesforceEnv(env, options.sfdxProjectFile),
        livestorm: {
            apiUrl: readUrl(env, 'LIVESTORM_API_URL', DEFAULT_LIVESTORM_API_URL) as string,
            apiToken: read(env, 'LIVESTORM_API_TOKEN') ?? null,
            webhookToken,
            webhookSecret: read(env, 'LIVESTORM_WEBHOOK_SECRET') ?? null
        },
        adminToken,
        port: parsePort(env)
    };
}

/** Settings that work but weaken the service: logged at start-up, never fatal. */
export function configWarnings(config: Config): string[] {
    const warnings: string[] = [];
    if (config.livestorm.webhookToken.length < 24) {
        warnings.push(
            'LIVESTORM_WEBHOOK_TOKEN is shorter than 24 characters: anyone who guesses it can post deliveries.'
        );
    }
    if (config.adminToken !== null && config.adminToken.length < 16) {
        warnings.push('ADMIN_TOKEN is shorter than 16 characters: use a long random value.');
    }
    if (config.livestorm.apiToken === null) {
        warnings.push(
            'LIVESTORM_API_TOKEN is not set: event titles, session refresh and backfill are unavailable.'
        );
    }
    return warnings;
}

/** The secret values present in a config, for log scrubbing. */
/** The password inside a PostgreSQL URL (a driver's error may quote it without the rest of the URL). */
function databasePassword(url: string | null): string | null {
    if (!url) return null;
    try {
        const password = decodeURIComponent(new URL(url).password);
        return password === '' ? null : password;
    } catch {
        return null;
    }
}

export function secretValues(config: Config): string[] {
    const salesforce = config.salesforce;
    const values = [
        config.livestorm.webhookToken,
        config.livestorm.apiToken,
        config.livestorm.webhookSecret,
        config.adminToken,
        config.databaseUrl,
        databasePassword(config.databaseUrl),
        salesforce.mode === 'token' ? salesforce.accessToken : null,
        salesforce.mode === 'client_credentials' ? salesforce.clientSecret : null
    ];
    return values.filter((value): value is string => value !== null && value.length > 0);
}

/** The process environment; the one place it is read. */
export function processEnv(): Env {
    return process.env;
}
