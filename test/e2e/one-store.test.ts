// `npm start` and `npx livestorm-sf` run from one directory share one store and one settings file: the listener is
// started exactly as the README says (npm start from the repository root), and the command line, run from the same
// directory with no DATA_DIR or CONFIG_FILE, steers the running listener. The repository root is a fresh directory
// holding the root package.json and links to the rest, so the test never touches a developer's own ./.data.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import type { WebhookSender } from '../emulators/livestorm/webhooks.ts';
import { hoursFromNow } from '../support/org.ts';
import { freePort } from '../support/postgres.ts';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const WEBHOOK_TOKEN = 'one-store-webhook-token-0123456789';
const ADMIN_TOKEN = 'one-store-admin-token-0123456789';

let root: string;
let emulator: SalesforceEmulator;
let simulator: LivestormSimulator;
let listener: ChildProcess;
let output = '';
let url: string;
let sender: WebhookSender;

/** The environment of a shell in `root` with the README's variables, and nothing that names a path. */
function shellEnv(): Record<string, string> {
    return {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp'
    };
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: root, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline)
            throw new Error(`${what} did not happen in time; listener output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

async function admin(path: string, init: RequestInit = {}): Promise<unknown> {
    const response = await fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
    });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return response.json();
}

function campaignsFor(sessionId: string): unknown[] {
    return emulator.inspect.records('Campaign').filter((row) => row.Livestorm_Session_Id__c === sessionId);
}

beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lsf-root-'));
    copyFileSync(join(repositoryRoot, 'package.json'), join(root, 'package.json'));
    for (const entry of ['sfdx-project.json', 'listener', 'node_modules']) {
        symlinkSync(join(repositoryRoot, entry), join(root, entry));
    }
    emulator = await startSalesforceEmulator();
    simulator = await startLivestormSimulator();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The README's deploy step: `npm start` with the variables, from the repository root.
    listener = spawn('npm', ['start'], {
        cwd: root,
        env: {
            ...shellEnv(),
            SF_INSTANCE_URL: emulator.instanceUrl,
            SF_ACCESS_TOKEN: emulator.accessToken,
            LIVESTORM_API_URL: simulator.apiUrl,
            LIVESTORM_API_TOKEN: simulator.token,
            LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
            ADMIN_TOKEN,
            PORT: String(port),
            LOG_LEVEL: 'info'
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so the listener under npm is stopped with it.
        detached: true
    });
    listener.stdout!.on('data', (chunk) => (output += String(chunk)));
    listener.stderr!.on('data', (chunk) => (output += String(chunk)));
    await until('the listener answering /healthz', async () => {
        if (listener.exitCode !== null)
            throw new Error(`npm start exited with ${listener.exitCode}:\n${output}`);
        try {
            return (await fetch(`${url}/healthz`)).status === 200 ? true : undefined;
        } catch {
            return undefined;
        }
    });
    sender = createWebhookSender({
        url: `${url}/webhooks/livestorm/${WEBHOOK_TOKEN}`,
        retryDelaysMs: [50, 100, 200]
    });
}, 60_000);

afterAll(async () => {
    if (listener?.pid !== undefined && listener.exitCode === null) {
        const exited = new Promise((resolve) => listener.once('exit', resolve));
        process.kill(-listener.pid, 'SIGTERM');
        await exited;
    }
    await emulator?.close();
    await simulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
});

describe('npm start and npx livestorm-sf from the repository root', () => {
    it('the listener logs the absolute store and settings paths, both in the directory it was started from', () => {
        expect(output).toContain(`"store":"${join(root, '.data')}"`);
        expect(output).toContain(`"configFile":"${join(root, 'livestorm-sf.config.json')}"`);
        expect(existsSync(join(root, '.data'))).toBe(true);
        expect(existsSync(join(repositoryRoot, 'listener', '.data', 'livestorm-sf.sqlite'))).toBe(false);
    });

    it('events disable from the command line stops the running listener syncing that event', async () => {
        const paused = simulator.state.createEvent({ title: 'Paused from the command line' });
        const first = simulator.state.createSession(paused.id, { startsAt: hoursFromNow(5) });
        await sender.deliver('session.created', first);
        await until('the first Campaign', async () =>
            campaignsFor(first.id).length === 1 ? true : undefined
        );

        const disabled = await run('npx', ['livestorm-sf', 'events', 'disable', paused.id]);
        expect(disabled.code, disabled.stderr).toBe(0);
        expect(disabled.stdout).toContain('disabled');

        // The listener reads the switch from the store the command wrote.
        const events = (await admin('/admin/api/events')) as {
            events: { eventId: string; enabled: boolean }[];
        };
        expect(events.events.find((event) => event.eventId === paused.id)?.enabled).toBe(false);

        const second = simulator.state.createSession(paused.id, { startsAt: hoursFromNow(6) });
        await sender.deliver('session.created', second);
        // A session of an enabled event delivered after it: once its Campaign exists, the listener has had a pass
        // with the disabled event's session in its store.
        const control = simulator.state.createEvent({ title: 'Still synced' });
        const controlSession = simulator.state.createSession(control.id, { startsAt: hoursFromNow(7) });
        await sender.deliver('session.created', controlSession);
        await until('the control Campaign', async () =>
            campaignsFor(controlSession.id).length === 1 ? true : undefined
        );
        const sessions = (await admin('/admin/api/sessions')) as { sessions: { sessionId: string }[] };
        expect(sessions.sessions.map((session) => session.sessionId)).toContain(second.id);
        expect(campaignsFor(second.id)).toEqual([]);

        const listed = await run('npx', ['livestorm-sf', 'events', 'list', '--json']);
        expect(listed.code).toBe(0);
        const rows = JSON.parse(listed.stdout) as { id: string; title: string; enabled: boolean }[];
        expect(rows.find((row) => row.id === paused.id)).toMatchObject({
            title: 'Paused from the command line',
            enabled: false
        });
    }, 60_000);

    it('settings saved on the admin page are the ones the command line reads', async () => {
        const current = (await admin('/admin/api/settings')) as {
            settings: Record<string, unknown>;
            configFile: string;
        };
        expect(current.configFile).toBe(join(root, 'livestorm-sf.config.json'));
        await admin('/admin/api/settings', {
            method: 'POST',
            body: JSON.stringify({ ...current.settings, enabledByDefault: false })
        });
        expect(JSON.parse(readFileSync(join(root, 'livestorm-sf.config.json'), 'utf8'))).toMatchObject({
            enabledByDefault: false
        });
        expect(existsSync(join(repositoryRoot, 'listener', 'livestorm-sf.config.json'))).toBe(false);

        const listed = await run('npx', ['livestorm-sf', 'events', 'list']);
        expect(listed.code).toBe(0);
        expect(listed.stdout).toMatch(/Still synced\s+disabled/);
    }, 60_000);
});
