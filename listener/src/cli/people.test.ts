import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventRow, foldCommit, personRow, sessionRow, sessionState } from '../../test/store-contract.ts';
import { loadSettings } from '../config/settings.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { CliContext } from './context.ts';
import { runCli } from './main.ts';

let dir: string;
let out: string[];
let err: string[];
let ctx: CliContext;

beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-people-'));
    out = [];
    err = [];
    ctx = {
        env: {
            DATA_DIR: join(dir, 'data'),
            CONFIG_FILE: join(dir, 'config.json'),
            SF_INSTANCE_URL: 'https://acme.my.salesforce.com',
            SF_ACCESS_TOKEN: '00Dxx!token'
        },
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    };
    const store = await createSqliteStore({ dataDir: join(dir, 'data') });
    try {
        await store.commitFold(
            foldCommit({
                events: [eventRow('event-1', { title: 'Spring launch' })],
                sessions: [
                    sessionRow('s1', {
                        state: sessionState('s1', 'event-1', { estimatedStartedAt: 1_772_373_600 })
                    }),
                    sessionRow('s2', {
                        state: sessionState('s2', 'event-1', { estimatedStartedAt: 1_772_460_000 })
                    })
                ],
                people: [
                    personRow(
                        's1',
                        'p1',
                        {},
                        {
                            email: 'Jane.Adams@example.com',
                            firstName: 'Jane',
                            lastName: 'Adams',
                            attendance: 'attended'
                        }
                    ),
                    personRow(
                        's2',
                        'p1',
                        {},
                        { email: 'jane.adams@example.com', firstName: 'Jane', lastName: 'Adams' }
                    ),
                    personRow(
                        's1',
                        'p2',
                        {},
                        { email: 'mary.jane.adams@example.com', firstName: 'Mary', lastName: 'Adams' }
                    )
                ]
            })
        );
        const [jane] = await store.getPeople('s1', ['p1']);
        await store.saveSyncedPeople([
            {
                ...jane!,
                syncedVersion: jane!.version,
                sfObject: 'Contact',
                sfId: '003000000000001AAA',
                memberId: '00v000000000001AAA',
                memberStatus: 'Attended',
                writtenAt: Date.UTC(2026, 2, 1, 15, 5)
            }
        ]);
        const [second] = await store.getPeople('s2', ['p1']);
        await store.saveSyncedPeople([
            {
                ...second!,
                syncedVersion: second!.version,
                failure: {
                    code: 'REQUIRED_FIELD_MISSING',
                    message: 'Required fields are missing: [Industry__c]',
                    fields: ['Industry__c'],
                    attempts: 2,
                    nextAttemptAt: Date.UTC(2026, 2, 2, 12),
                    at: Date.UTC(2026, 2, 2, 11)
                }
            }
        ]);
    } finally {
        await store.close();
    }
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('livestorm-sf people show', () => {
    it('prints every registration of exactly that e-mail: record, member status, and why not', async () => {
        expect(await runCli(['people', 'show', 'JANE.ADAMS@example.com'], ctx)).toBe(0);
        const text = out.join('\n');
        expect(text).not.toContain('mary.jane');
        expect(text).toContain('Jane.Adams@example.com — Jane Adams');
        expect(text).toContain('  Event       Spring launch, session of 2026-03-01 14:00 UTC (s1)');
        expect(text).toContain('  Livestorm   attended');
        expect(text).toContain(
            '  Salesforce  Contact 003000000000001AAA https://acme.my.salesforce.com/lightning/r/Contact/003000000000001AAA/view'
        );
        expect(text).toContain('  Campaign    member status "Attended", written 2026-03-01 15:05 UTC');
        expect(text).toContain('  State       synced');
        expect(text).toContain(
            '  State       failed: Salesforce refused this person: Required fields are missing: [Industry__c]'
        );
        expect(text).toContain(
            '  Error       REQUIRED_FIELD_MISSING: Required fields are missing: [Industry__c]'
        );
        expect(text).toMatch(/ {2}Fix {9}Give Industry__c a value/);
    });

    it('prints the same PersonStatus items as the API with --json', async () => {
        expect(await runCli(['people', 'show', 'jane.adams@example.com', '--json'], ctx)).toBe(0);
        const items = JSON.parse(out.join('\n')) as {
            sessionId: string;
            state: string;
            salesforce: { memberStatus: string | null };
        }[];
        expect(items.map((item) => [item.sessionId, item.state, item.salesforce.memberStatus])).toEqual([
            ['s1', 'synced', 'Attended'],
            ['s2', 'failed', null]
        ]);
    });

    it('exits 1 when no registrant has that e-mail, 2 on a usage error', async () => {
        expect(await runCli(['people', 'show', 'adams@example.com'], ctx)).toBe(1);
        expect(err.join('\n')).toContain('No registrant with the e-mail adams@example.com');
        expect(await runCli(['people', 'show', 'adams@example.com', '--json'], ctx)).toBe(1);
        expect(out.at(-1)).toBe('[]');
        expect(await runCli(['people', 'show'], ctx)).toBe(2);
        expect(await runCli(['people', 'show', 'not-an-address'], ctx)).toBe(2);
        expect(await runCli(['people', 'show', 'a@b.c', '--colour'], ctx)).toBe(2);
    });
});
