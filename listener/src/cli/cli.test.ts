import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../config/settings.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import type { CliContext } from './context.ts';
import { defaultCliContext, STORE_UNREACHABLE_EXIT, storeUnreachable } from './context.ts';
import { runCli } from './main.ts';
import { withSqliteStore } from '../../test/sqlite-store.ts';

let dir: string;
let out: string[];
let err: string[];
let ctx: CliContext;

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-cli-'));
    out = [];
    err = [];
    ctx = {
        // No Salesforce variable and no webhook token: the store commands must not need them.
        env: { DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json') },
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    };
});

afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
});

const withStore = <T>(work: (store: Store) => Promise<T>): Promise<T> =>
    withSqliteStore(join(dir, 'data'), work);

async function seedEvents(): Promise<void> {
    await withStore(async (store) => {
        await store.putEvent({
            eventId: 'ev-default',
            title: 'Product demo',
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        });
        await store.putEvent({
            eventId: 'ev-config',
            title: 'Onboarding',
            onDemand: true,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        });
        await store.putEvent({
            eventId: 'ev-cli',
            title: 'Town hall',
            onDemand: false,
            registrationLink: null,
            enabled: false,
            fetchedAt: null
        });
    });
}

describe('livestorm-sf events', () => {
    it('lists events with their state and the reason for it', async () => {
        await seedEvents();
        writeFileSync(
            join(dir, 'config.json'),
            JSON.stringify({ events: { 'ev-config': false, 'ev-future': true } })
        );
        expect(await runCli(['events', 'list'], ctx)).toBe(0);
        const text = out.join('\n');
        const line = (id: string) => text.split('\n').find((row) => row.startsWith(id)) ?? '';
        expect(text.split('\n')[0]).toMatch(/^ID\s+TITLE\s+SYNC\s+WHY$/);
        expect(line('ev-default')).toMatch(/Product demo\s+enabled\s+default \(enabledByDefault is true\)/);
        expect(line('ev-config')).toMatch(/Onboarding\s+disabled\s+config file \(events\.ev-config\)/);
        expect(line('ev-cli')).toMatch(/Town hall\s+disabled\s+set from the command line or admin page/);
        expect(line('ev-future')).toMatch(/\(not received yet\)\s+enabled\s+config file/);
    });

    it('lists events as JSON', async () => {
        await seedEvents();
        expect(await runCli(['events', 'list', '--json'], ctx)).toBe(0);
        const rows = JSON.parse(out.join('')) as { id: string; enabled: boolean; source: string }[];
        expect(rows.map(({ id, enabled, source }) => ({ id, enabled, source }))).toEqual(
            expect.arrayContaining([
                { id: 'ev-default', enabled: true, source: 'default' },
                { id: 'ev-cli', enabled: false, source: 'command line' }
            ])
        );
    });

    it('enables an event in the store and says the running listener will pick it up', async () => {
        await seedEvents();
        expect(await runCli(['events', 'enable', 'ev-cli'], ctx)).toBe(0);
        expect(out.join('\n')).toMatch(
            /Event "Town hall" \(ev-cli\) enabled\. The running listener will pick it up/
        );
        expect((await withStore((store) => store.getEvent('ev-cli')))?.enabled).toBe(true);
    });

    it('disables an event, and reset returns it to the config file or default', async () => {
        await seedEvents();
        expect(await runCli(['events', 'disable', 'ev-default'], ctx)).toBe(0);
        expect((await withStore((store) => store.getEvent('ev-default')))?.enabled).toBe(false);
        expect(await runCli(['events', 'reset', 'ev-default'], ctx)).toBe(0);
        expect((await withStore((store) => store.getEvent('ev-default')))?.enabled).toBeNull();
        expect(out.at(-1)).toMatch(/follows the default \(enabledByDefault is true\) again: enabled/);
    });

    it('accepts an event not received yet and says so', async () => {
        expect(await runCli(['events', 'disable', 'ev-new'], ctx)).toBe(0);
        expect(out.join('\n')).toContain('has not been received yet');
        expect((await withStore((store) => store.getEvent('ev-new')))?.enabled).toBe(false);
    });

    it('needs the event id', async () => {
        expect(await runCli(['events', 'enable'], ctx)).toBe(2);
        expect(err.join('\n')).toContain('livestorm-sf events enable takes <event id>');
    });

    it('reports an invalid config file as one clear error', async () => {
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ enabledByDefault: 'yes' }));
        expect(await runCli(['events', 'list'], ctx)).toBe(1);
        expect(err.join('\n')).toMatch(/config\.json is invalid: enabledByDefault/);
    });
});

describe('livestorm-sf quarantine', () => {
    it('lists quarantined deliveries and replays one', async () => {
        const id = await withStore(async (store) => {
            await store.appendDelivery({
                receivedAt: Date.UTC(2025, 0, 1),
                event: 'people.registered',
                body: '{}',
                bodyHash: 'a'
            });
            const quarantined = await store.appendDelivery({
                receivedAt: Date.UTC(2025, 0, 2),
                event: null,
                body: '{nope',
                bodyHash: 'b',
                quarantineReason: 'body is not valid JSON'
            });
            return quarantined.id;
        });
        expect(await runCli(['quarantine', 'list'], ctx)).toBe(0);
        const rows = out.join('\n').split('\n');
        expect(rows).toHaveLength(2);
        expect(rows[1]).toMatch(
            new RegExp(`^${id}\\s+2025-01-02T00:00:00.000Z\\s+-\\s+body is not valid JSON$`)
        );

        out = [];
        expect(await runCli(['quarantine', 'replay', String(id)], ctx)).toBe(0);
        expect(out.join('\n')).toMatch(new RegExp(`Delivery ${id} is pending again`));
        const pending = await withStore((store) => store.pendingDeliveries(10));
        expect(pending.map((delivery) => delivery.id)).toContain(id);

        out = [];
        expect(await runCli(['quarantine', 'list'], ctx)).toBe(0);
        expect(out.join('\n')).toBe('No quarantined delivery.');
    });

    it('fails on an unknown delivery id and refuses a non-number', async () => {
        expect(await runCli(['quarantine', 'replay', '999'], ctx)).toBe(1);
        expect(err.join('\n')).toContain('No delivery 999.');
        expect(await runCli(['quarantine', 'replay', 'abc'], ctx)).toBe(1);
        expect(err.join('\n')).toContain('"abc" is not a delivery id');
    });

    it('validates --limit', async () => {
        expect(await runCli(['quarantine', 'list', '--limit', '0'], ctx)).toBe(1);
        expect(err.join('\n')).toContain('--limit must be a positive whole number.');
    });
});

describe('livestorm-sf usage', () => {
    it('prints the command list for --help and exits 0', async () => {
        expect(await runCli(['--help'], ctx)).toBe(0);
        const text = out.join('\n');
        for (const command of [
            'events list',
            'events enable <event id>',
            'quarantine replay <delivery id>...',
            'doctor',
            'backfill'
        ]) {
            expect(text).toContain(command);
        }
    });

    it('prints a group and a command help', async () => {
        expect(await runCli(['events', '--help'], ctx)).toBe(0);
        expect(out.join('\n')).toContain('Usage: livestorm-sf events <command>');
        expect(out.join('\n')).not.toContain('quarantine');
        out = [];
        expect(await runCli(['quarantine', 'list', '--help'], ctx)).toBe(0);
        expect(out.join('\n')).toContain('--limit <n>');
    });

    it.each([[[]], [['frobnicate']], [['events', 'explode']]])(
        'exits 2 with the usage for %j',
        async (argv) => {
            expect(await runCli(argv, ctx)).toBe(2);
            expect(err.join('\n')).toContain('Usage: livestorm-sf');
        }
    );

    it('exits 2 on an unknown option', async () => {
        expect(await runCli(['events', 'list', '--colour'], ctx)).toBe(2);
        expect(err.join('\n')).toMatch(/Unknown option '--colour'/);
    });

    it('doctor without Salesforce variables fails and names what is missing', async () => {
        expect(await runCli(['doctor'], ctx)).toBe(1);
        const output = [...out, ...err].join('\n');
        expect(output).not.toContain('not available yet');
        expect(output).toMatch(/SF_INSTANCE_URL|SF_LOGIN_URL|SF_TARGET_ORG|LIVESTORM_WEBHOOK_TOKEN/);
    });
});

describe('livestorm-sf and its store', () => {
    it('never starts an empty store of its own: no listener store where it looks is exit 3, and nothing is created', async () => {
        const real = defaultCliContext();
        const code = await runCli(['events', 'list'], { ...ctx, openStore: real.openStore });
        expect(code).toBe(STORE_UNREACHABLE_EXIT);
        expect(err.join('\n')).toContain(`No listener store in ${join(dir, 'data')}`);
        expect(existsSync(join(dir, 'data'))).toBe(false);
    });

    it('an unreachable database is one sentence and exit 3, not a stack trace', async () => {
        const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
            code: 'ECONNREFUSED'
        });
        const code = await runCli(['people', 'show', 'someone@example.com'], {
            ...ctx,
            env: { ...ctx.env, DATABASE_URL: 'postgres://user:s3cret-pw@127.0.0.1:1/db' },
            openStore: () => Promise.reject(refused)
        });
        expect(code).toBe(STORE_UNREACHABLE_EXIT);
        expect(err).toHaveLength(1);
        expect(err[0]).toMatch(
            /^The store could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:1\): check/
        );
        expect(err[0]).not.toContain('s3cret-pw');
    });

    it('any other error is not mistaken for an unreachable store', () => {
        expect(storeUnreachable(new Error('boom'))).toBeUndefined();
        expect(storeUnreachable(Object.assign(new Error('syntax'), { code: '42601' }))).toBeUndefined();
        expect(storeUnreachable(Object.assign(new Error('gone'), { code: '57P01' }))).toContain(
            'could not be reached'
        );
    });
});
