// Runs the Salesforce CLI installed in this repository, never a global one, on the Node that runs this script.
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';

export const repositoryRoot = join(import.meta.dirname, '..', '..');
export const localBin = join(repositoryRoot, 'node_modules', '.bin');
export const sfBinary = join(localBin, 'sf');

/**
 * The environment sf runs with: our node_modules/.bin first on PATH (so sf runs on the repository's Node 24),
 * and no telemetry, auto-update or new-version check, which would reach the network.
 * @param base environment to start from, default process.env
 */
export function sfEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return {
        ...base,
        PATH: [localBin, base['PATH'] ?? ''].filter((part) => part.length > 0).join(delimiter),
        SF_DISABLE_TELEMETRY: 'true',
        SF_AUTOUPDATE_DISABLE: 'true',
        // The oclif update hook reads this name; without it every sf call may leave an `sf update` child behind.
        SF_DISABLE_AUTOUPDATE: 'true',
        SF_SKIP_NEW_VERSION_CHECK: 'true'
    };
}

export interface SfResult {
    code: number;
    stdout: string;
    stderr: string;
    timedOut: boolean;
    durationMs: number;
}

export interface SfOptions {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Stop sf after this long; the result then has timedOut true. */
    timeoutMs?: number;
    /** Show sf's output live instead of collecting it. */
    inherit?: boolean;
}

/**
 * Runs `sf <args>` and resolves when it exits; never rejects on a non-zero exit.
 * @example const { code, stdout } = await runSf(['org', 'display', '--target-org', 'prod', '--json']);
 */
export function runSf(args: string[], options: SfOptions = {}): Promise<SfResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
        const child = spawn(sfBinary, args, {
            cwd: options.cwd ?? repositoryRoot,
            env: sfEnvironment(options.env),
            stdio: options.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe']
        });
        let stdout = '';
        let stderr = '';
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        let timedOut = false;
        const timer =
            options.timeoutMs === undefined
                ? undefined
                : setTimeout(() => {
                      timedOut = true;
                      child.kill('SIGTERM');
                  }, options.timeoutMs);
        child.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({
                code: code ?? (signal ? 1 : 0),
                stdout,
                stderr,
                timedOut,
                durationMs: performance.now() - started
            });
        });
    });
}
