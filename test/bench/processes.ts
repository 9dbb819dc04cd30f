// Child processes of the benchmark: the listener as operators run it, the bare handler it is compared with, and the
// load generator. Each is tracked so that a failing run still stops every one of them.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LISTENER_NODE_FLAGS, listenerStartEnv } from '../support/listener-command.ts';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const nodeBinary = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

const running = new Set<ChildProcess>();

/** SIGKILLs every child still running: the last resort of a failed or interrupted run. */
export function killAllChildren(): void {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
        });
    });
}

function track(child: ChildProcess): { output(): string; exited: Promise<void> } {
    running.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<void>((resolve) =>
        child.once('exit', () => {
            running.delete(child);
            resolve();
        })
    );
    return { output: () => output, exited };
}

/** Peak resident set size of a process so far, in MB (VmHWM of /proc/<pid>/status; Linux only). */
export async function peakRssMb(pid: number): Promise<number | null> {
    try {
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
        return match ? Number(match[1]) / 1024 : null;
    } catch {
        return null;
    }
}

/**
 * CPU time a process has used so far, all threads, user + system, in ms (/proc/<pid>/stat, in USER_HZ ticks of 10 ms;
 * Linux only).
 */
export async function cpuTimeMs(pid: number): Promise<number | null> {
    try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may contain spaces) start at field 3; utime and stime are fields 14, 15.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
        return null;
    }
}

/**
 * Builds the JavaScript `npm start` runs (listener/scripts/build.ts, the prestart step), so the benchmark measures the
 * listener exactly as operators run it.
 * @throws Error with the build's output when it fails
 */
export function buildListener(): void {
    const build = spawnSync(nodeBinary, ['--disable-warning=ExperimentalWarning', 'listener/scripts/build.ts'], {
        cwd: repositoryRoot,
        encoding: 'utf8'
    });
    if (build.status !== 0) throw new Error(`the listener build failed:\n${build.stdout}${build.stderr}`);
}

export interface ListenerProcess {
    url: string;
    webhookUrl: string;
    pid: number;
    /** Spawn → first /healthz 200. */
    coldStartMs: number;
    output(): string;
    /** Salesforce's state from /healthz; pending deliveries and dirty sessions from /metrics. */
    health(): Promise<{ pendingDeliveries: number; dirtySessions: number; salesforce: string }>;
    /** SIGTERM and wait: the listener's graceful shutdown (which also writes a CPU profile when asked for). */
    stop(): Promise<void>;
}

export interface ListenerProcessOptions {
    env: Record<string, string>;
    webhookToken: string;
    /** Directory for `node --cpu-prof`; no profile when absent. */
    cpuProfileDir?: string;
    timeoutMs?: number;
}

export async function startListenerProcess(options: ListenerProcessOptions): Promise<ListenerProcess> {
    const port = await freePort();
    const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    const started = performance.now();
    const child = spawn(nodeBinary, [...LISTENER_NODE_FLAGS, ...nodeArgs, 'listener/dist/index.js'], {
        cwd: repositoryRoot,
        env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/tmp',
            LOG_LEVEL: 'warn',
            ...listenerStartEnv(options.env),
            ...options.env,
            LIVESTORM_WEBHOOK_TOKEN: options.webhookToken,
            PORT: String(port)
        },
        stdio: ['ignore', 'pipe', 'pipe']
    });
    const { output, exited } = track(child);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let coldStartMs = 0;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`the listener exited with ${child.exitCode}:\n${output()}`);
        try {
            if ((await fetch(`${url}/healthz`)).status === 200) {
                coldStartMs = performance.now() - started;
                break;
            }
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`the listener was not ready in time:\n${output()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return {
        url,
        webhookUrl: `${url}/webhooks/livestorm/${options.webhookToken}`,
        pid: child.pid!,
        coldStartMs,
        output,
        async health() {
            const health = (await (await fetch(`${url}/healthz`)).json()) as { salesforce: { state: string } };
            const metrics = await (await fetch(`${url}/metrics`)).text();
            const gauge = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
            return {
                salesforce: health.salesforce.state,
                pendingDeliveries: gauge(/^livestorm_sf_deliveries\{state="pending"\} (\d+)$/m),
                dirtySessions: gauge(/^livestorm_sf_dirty_sessions (\d+)$/m)
            };
        },
        async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
        }
    };
}

/** A Hono handler in its own process that only answers 202: the floor any webhook route can reach. */
export async function startBareHandler(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
    const child = spawn(nodeBinary, ['test/bench/bare-handler.ts'], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const { output, exited } = track(child);
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the bare handler did not start:\n${output()}`)), 15_000);
        child.stdout!.on('data', () => {
            const line = /^(http:\/\/\S+)$/m.exec(output());
            if (line) {
                clearTimeout(timer);
                resolve(line[1]!);
            }
        });
        child.once('exit', () => reject(new Error(`the bare handler exited:\n${output()}`)));
    });
    return {
        url,
        pid: child.pid!,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
        }
    };
}

export interface LoadPlan {
    url: string;
    /** A webhook body; every occurrence of each placeholder is replaced by a value unique to the request. */
    template?: string;
    placeholders?: { personId: string; email: string };
    /** Unique prefix so two runs never send the same person. */
    runId?: string;
    /** Instead of a template: these bodies, each sent once, in this order (closed loop, `concurrency` senders). */
    bodies?: string[];
    /** Open loop: requests per second, sent on schedule whatever the answers. */
    rate?: number;
    /** Closed loop: this many senders, each sending its next request once the previous one is answered. */
    concurrency?: number;
    /** Closed loop only: stop after this many requests instead of after `seconds`. */
    count?: number;
    seconds: number;
    /** Open loop only: seconds sent first, on the same schedule, and not measured. */
    warmupSeconds?: number;
}

export interface LoadResult {
    sent: number;
    acknowledged: number;
    failed: number;
    elapsedMs: number;
    /** Latency of each acknowledged request in ms (open loop: from its scheduled time). */
    latenciesMs: number[];
    /** Time to the failure (an error answer, a refused connection or the 10 s timeout) of each failed request. */
    failedLatenciesMs: number[];
    /** Up to five distinct failure reasons. */
    errors: string[];
}

/** Runs test/bench/load.ts in its own process, so that the client's timing is not disturbed by the emulators. */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
    const child = spawn(nodeBinary, ['test/bench/load.ts'], { cwd: repositoryRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const { output, exited } = track(child);
    let stdout = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stdin!.end(JSON.stringify(plan));
    await exited;
    if (child.exitCode !== 0) throw new Error(`the load generator failed (${child.exitCode}):\n${output()}`);
    return JSON.parse(stdout) as LoadResult;
}
