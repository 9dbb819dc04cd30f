// What every command receives: its output streams, the environment, and how to open the store and read the
// settings. Tests pass their own; `defaultCliContext()` is the real process.
import { configuredInstanceUrl } from '../admin/views.ts';
import { ConfigError, parseSalesforceEnv, parseStoreEnv, processEnv } from '../config/env.ts';
import type { Env, StoreConfig } from '../config/env.ts';
import { findLegacyPaths } from '../config/paths.ts';
import { loadSettings, SettingsError } from '../config/settings.ts';
import type { Settings } from '../config/settings.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../store/open.ts';
import { SQLITE_FILE_NAME } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';

export interface CliContext {
    env: Env;
    stdout(text: string): void;
    stderr(text: string): void;
    openStore(config: StoreConfig): Promise<Store>;
    loadSettings(file: string): Promise<Settings>;
}

export function defaultCliContext(): CliContext {
    return {
        env: processEnv(),
        stdout: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
        stderr: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
        openStore: (config) => {
            // The command line acts on the listener's store: it never starts an empty one of its own, where a
            // mistyped DATA_DIR or another directory would make every command answer for nobody.
            if (!config.databaseUrl && !existsSync(join(config.dataDir, SQLITE_FILE_NAME)))
                throw new CliError(
                    `No listener store in ${config.dataDir}: run the command from the directory where you run npm start, or set DATA_DIR (or DATABASE_URL) to the listener's store.`,
                    STORE_UNREACHABLE_EXIT
                );
            return openStore({
                dataDir: config.dataDir,
                database: config.database,
                ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {})
            });
        },
        loadSettings
    };
}

/** Exit code of a command that could not reach its store (PostgreSQL down, no store where it looked). */
export const STORE_UNREACHABLE_EXIT = 3;

/** An error the user can fix: printed as is, exit code 1 unless given another. */
export class CliError extends Error {
    override name = 'CliError';
    readonly exitCode: number;
    constructor(message: string, exitCode = 1) {
        super(message);
        this.exitCode = exitCode;
    }
}

const NETWORK_CODES = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EHOSTUNREACH'
]);

/**
 * The sentence for an error that means the store could not be reached, or undefined for any other error.
 * Node's network errors carry a `code`; PostgreSQL's own errors carry a five-character SQLSTATE class 08
 * (connection exception) or 57P (operator intervention, e.g. the server shutting down).
 */
export function storeUnreachable(error: unknown): string | undefined {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') return undefined;
    if (!NETWORK_CODES.has(code) && !code.startsWith('08') && !code.startsWith('57P')) return undefined;
    const message = error instanceof Error ? error.message : code;
    return `The store could not be reached (${message}): check that PostgreSQL is running and that DATABASE_URL names it, then run the command again.`;
}

/**
 * Opens the store the listener uses (DATA_DIR / DATABASE_URL, relative paths taken from the directory the command
 * was started in), runs `work`, and always closes it.
 * @throws ConfigError when a store or settings file of an older version sits where the listener used to look
 */
export async function withStore<T>(
    ctx: CliContext,
    work: (store: Store, config: StoreConfig) => Promise<T>
): Promise<T> {
    const config = parseStoreEnv(ctx.env);
    const legacy = findLegacyPaths(ctx.env, config);
    if (legacy.errors[0] !== undefined) throw new ConfigError(legacy.errors[0]);
    const store = await ctx.openStore(config);
    try {
        return await work(store, config);
    } finally {
        await store.close();
    }
}

/**
 * The org's URL for record and Campaign links: known from the Salesforce variables when they are set (the command line
 * has no connection of its own), else null and no link is shown.
 */
export function instanceUrlFrom(ctx: Pick<CliContext, 'env'>): string | null {
    try {
        return configuredInstanceUrl({ salesforce: parseSalesforceEnv(ctx.env) });
    } catch {
        return null;
    }
}

export function isUserError(error: unknown): error is Error {
    return error instanceof ConfigError || error instanceof SettingsError || error instanceof CliError;
}
