// What every command receives: its output streams, the environment, and how to open the store and read the
// settings. Tests pass their own; `defaultCliContext()` is the real process.
import { ConfigError, parseStoreEnv, processEnv } from '../config/env.ts';
import type { Env, StoreConfig } from '../config/env.ts';
import { findLegacyPaths } from '../config/paths.ts';
import { loadSettings, SettingsError } from '../config/settings.ts';
import type { Settings } from '../config/settings.ts';
import { openStore } from '../store/open.ts';
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
        openStore: (config) =>
            openStore({
                dataDir: config.dataDir,
                database: config.database,
                ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {})
            }),
        loadSettings
    };
}

/** An error the user can fix: printed as is, exit code 1. */
export class CliError extends Error {
    override name = 'CliError';
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

export function isUserError(error: unknown): error is Error {
    return error instanceof ConfigError || error instanceof SettingsError || error instanceof CliError;
}
