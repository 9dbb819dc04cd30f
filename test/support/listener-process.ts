// The listener as operators run it: `node listener/src/index.ts` in its own process, configured by environment.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listenerNodeFlags, listenerStartEnv } from './listener-command.ts';
import { freePort } from './postgres.ts';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

export interface ListenerProcess {
    url: string;
    pid: number;
    child: ChildProcess;
    output(): string;
    /** SIGKILL: no shutdown handler runs. */
    kill9(): Promise<void>;
    stop(): Promise<void>;
}

export async function startListenerProcess(
    env: Record<string, string>,
    timeoutMs = 30_000
): Promise<ListenerProcess> {
    const port = await freePort();
    const child = spawn(node, [...listenerNodeFlags(env), 'listener/src/index.ts'], {
        cwd: repositoryRoot,
        env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/tmp',
            LOG_LEVEL: 'warn',
            ...listenerStartEnv(env),
            ...env,
            PORT: String(port)
        },
        stdio: ['ignore', 'pipe', 'pipe']
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += String(chunk)));
    child.stderr!.on('data', (chunk) => (output += String(chunk)));
    const url = `http://127.0.0.1:${port}`;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child.exitCode !== null)
            throw new Error(`the listener exited with ${child.exitCode}:\n${output}`);
        try {
            if ((await fetch(`${url}/healthz`)).status === 200) break;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`the listener was not ready after ${timeoutMs} ms:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
        url,
        pid: child.pid!,
        child,
        output: () => output,
        async kill9() {
            child.kill('SIGKILL');
            await exited;
        },
        async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
        }
    };
}
