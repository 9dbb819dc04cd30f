// Where an older version left its files. Versions before the path rule ran `npm start` inside listener/, so a
// relative DATA_DIR or CONFIG_FILE (the defaults included) landed under listener/. Now relative paths are taken from
// the directory the command was started in; a store or settings file found at the old place is never silently
// replaced by an empty one: start-up stops with one sentence naming both paths and the command that moves it.
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_FILE, DEFAULT_DATA_DIR } from './env.ts';
import type { Env, StoreConfig } from './env.ts';

/** The listener package's directory: where older versions resolved relative paths. */
export const LISTENER_DIRECTORY = fileURLToPath(new URL('../../', import.meta.url));

function raw(env: Env, name: string, fallback: string): string {
    const value = env[name]?.trim();
    return value ? value : fallback;
}

function holdsFiles(directory: string): boolean {
    try {
        return readdirSync(directory).length > 0;
    } catch {
        return false;
    }
}

/** Where an older version would have put a relative path, or null when the path is absolute or the same now. */
function olderLocation(value: string, now: string, listenerDirectory: string): string | null {
    if (isAbsolute(value)) return null;
    const old = resolve(listenerDirectory, value);
    return old === resolve(now) ? null : old;
}

export interface LegacyPaths {
    /** One sentence per file left at the old place with nothing at the new one: start-up must stop. */
    errors: string[];
    /** Old files that exist next to new ones (the new ones are used). */
    warnings: string[];
}

/**
 * Looks for a store (embedded only) and a settings file left by an older version under the listener package.
 * @param env the variables the paths came from (their raw values tell whether they were relative)
 * @param config the resolved paths in use now
 * @param listenerDirectory where older versions resolved relative paths (the listener package; tests pass their own)
 * @example
 * const { errors } = findLegacyPaths(process.env, parseStoreEnv(process.env));
 * if (errors.length) throw new ConfigError(errors[0]);
 */
export function findLegacyPaths(
    env: Env,
    config: StoreConfig,
    listenerDirectory = LISTENER_DIRECTORY
): LegacyPaths {
    const errors: string[] = [];
    const warnings: string[] = [];
    if (config.databaseUrl === null) {
        const old = olderLocation(raw(env, 'DATA_DIR', DEFAULT_DATA_DIR), config.dataDir, listenerDirectory);
        if (old !== null && holdsFiles(old)) {
            if (holdsFiles(config.dataDir)) {
                warnings.push(
                    `An older store is also in ${old}; it is not used (DATA_DIR is ${config.dataDir}).`
                );
            } else {
                errors.push(
                    `A store written by an older version is in ${old} but DATA_DIR now means ${config.dataDir} (relative paths are taken from the directory you start from), so move its files there with \`mkdir -p "${config.dataDir}" && mv "${old}"/* "${config.dataDir}"/\` or set DATA_DIR=${old}, then start again.`
                );
            }
        }
    }
    const oldConfig = olderLocation(
        raw(env, 'CONFIG_FILE', DEFAULT_CONFIG_FILE),
        config.configFile,
        listenerDirectory
    );
    if (oldConfig !== null && existsSync(oldConfig)) {
        if (existsSync(config.configFile)) {
            warnings.push(
                `An older settings file is also at ${oldConfig}; it is not used (CONFIG_FILE is ${config.configFile}).`
            );
        } else {
            errors.push(
                `A settings file written by an older version is at ${oldConfig} but CONFIG_FILE now means ${config.configFile} (relative paths are taken from the directory you start from), so move it there with \`mv "${oldConfig}" "${config.configFile}"\` or set CONFIG_FILE=${oldConfig}, then start again.`
            );
        }
    }
    return { errors, warnings };
}
