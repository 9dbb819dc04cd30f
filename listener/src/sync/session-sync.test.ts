// The sync pass against the emulator with a real store: how people are matched and how writes are packed into
// composite requests (≤ 25 subrequests, ≤ 5 collections of ≤ 200 records each).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import { parseSettings } from '../config/settings.ts';
import { applyFoldItems } from '../fold/folder.ts';
import type { FoldItem } from '../fold/folder.ts';
import { personAttributesSchema, sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import { createSalesforceConnection } from '../salesforce/connection.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { loadOrgMetadata } from './org-metadata.ts';
import { EmailClaims, emailKey, relocatePeople, resolvePeople, syncSession } from './session-sync.ts';
import type { PreviousLink, Resolvable } from './session-sync.ts';

const logger = pino({ level: 'silent' });
let emulator: SalesforceEmulator;
let store: Store;
let dataDir: string;

beforeEach(async () => {
    emulator = await startSalesforceEmulator();
    dataDir = await mkdtemp(join(tmpdir(), 'lsf-sync-'));
    store = await createSqliteStore({ dataDir });
});
afterEach(async () => {
    await store.close();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
});

function sessionItem(sessionId: string): FoldItem {
    return {
        kind: 'session',
        source: 'session.created',
        sessionId,
        attributes: sessionAttributesSchema.parse({
            event_id: 'e1',
            status: 'upcoming',
            timezone: 'UTC',
            estimated_started_at: 1_800_000_000,
            created_at: 1_790_000_000,
            updated_at: 1_790_000_000
        })
    };
}

function registration(sessionId: string, index: number): FoldItem {
    const email = `packed${index}@example.com`;
    return {
        kind: 'person',
        event: 'people.registered',
        personId: `person-${index}`,
        attributes: personAttributesSchema.parse({
            role: 'participant',
            created_at: 1_790_000_000 + index,
            updated_at: 1_790_000_000 + index,
            first_name: 'Packed',
            last_name: `Person ${index}`,
            email,
            registrant_detail: {
                event_id: 'e1',
                session_id: sessionId,
                created_at: 1_790_000_000 + index,
                updated_at: 1_790_000_000 + index,
                fields: [{ id: 'email', type: 'text', value: email }]
            }
        })
    };
}

async function pass(sessionId: string) {
    const salesforce = createSalesforceConnection(
        { mode: 'token', instanceUrl: emulator.instanceUrl, accessToken: emulator.accessToken },
        { apiVersion: '66.0' }
    );
    const metadata = await loadOrgMetadata(salesforce);
    emulator.inspect.resetCalls();
    return syncSession(
        {
            store,
            salesforce,
            settings: parseSettings({}),
            metadata,
            logger,
            claims: new EmailClaims(store, 'test', 30_000)
        },
        sessionId,
        {
            eventId: 'e1',
            title: 'Packing',
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: 1
        }
    );
}

describe('syncSession packing', () => {
    it('creates the Campaign with its statuses in one call', async () => {
        await applyFoldItems(store, [sessionItem('s1')]);
        const result = await pass('s1');
        expect(result).toMatchObject({ apiCalls: 1, campaignCreated: true });
        expect(emulator.inspect.calls().total).toBe(1);
        const [session] = await store.getSessions(['s1']);
        expect(session).toMatchObject({ statusesReady: true, campaignCreatedByUs: true });
        expect(session!.syncedVersion).toBe(session!.version);
    });

    it(
        'writes 1,000 new registrants in three calls: one lookup, two writes of at most 5 collections each',
        { timeout: 30_000 },
        async () => {
            await applyFoldItems(store, [sessionItem('s1')]);
            await pass('s1');
            await applyFoldItems(
                store,
                Array.from({ length: 1000 }, (_, index) => registration('s1', index))
            );
            const result = await pass('s1');
            expect(result).toMatchObject({ synced: 1000, failed: 0, apiCalls: 3 });
            const composites = emulator.inspect
                .calls()
                .log.filter((entry: { kind: string }) => entry.kind === 'composite');
            expect(composites).toHaveLength(3);
            for (const entry of composites) expect(entry.subrequests).toBeLessThanOrEqual(25);
            expect(emulator.inspect.records('Lead')).toHaveLength(1000);
            expect(emulator.inspect.records('CampaignMember')).toHaveLength(1000);
            expect(await store.dirtyPeople('s1', Date.now(), 10)).toHaveLength(0);
        }
    );

    it('an isolated registrant: one lookup, then the Lead and its member in the same request', async () => {
        await applyFoldItems(store, [sessionItem('s1')]);
        await pass('s1');
        await applyFoldItems(store, [registration('s1', 1)]);
        expect(await pass('s1')).toMatchObject({ synced: 1, apiCalls: 2 });
    });
});

describe('resolvePeople', () => {
    const work = (email: string): Resolvable => ({ row: { personId: email }, email, resolution: null });
    it('prefers a Contact, then the oldest unconverted Lead, then the Contact of a converted Lead; case-insensitive', () => {
        const items = [
            work('Both@Example.com'),
            work('lead@example.com'),
            work('converted@example.com'),
            work('nobody@example.com')
        ];
        resolvePeople(
            items,
            [{ Id: '003A', Email: 'both@example.com' }],
            [
                { Id: '00QB', Email: 'both@example.com', IsConverted: false },
                { Id: '00Q1', Email: 'LEAD@example.com', IsConverted: false },
                { Id: '00Q2', Email: 'lead@example.com', IsConverted: false },
                { Id: '00QC', Email: 'converted@example.com', IsConverted: true, ConvertedContactId: '003C' }
            ],
            logger,
            's1'
        );
        expect(items.map((item) => item.resolution && [item.resolution.object, item.resolution.id])).toEqual([
            ['Contact', '003A'],
            ['Lead', '00Q1'],
            ['Contact', '003C'],
            null
        ]);
    });
});

describe('records that moved', () => {
    const moved = (previous: PreviousLink) => ({
        row: { personId: String(previous.id ?? previous.memberId) },
        email: 'moved@example.com',
        resolution: null as Resolvable['resolution'],
        previous,
        memberId: null as string | null
    });

    it('follows the member to its current record, a merged record to its master, a converted Lead to its Contact', () => {
        const items = [
            moved({ object: 'Lead', id: '00QM', memberId: 'CM1' }),
            moved({ object: 'Lead', id: '00QL', memberId: 'CMgone' }),
            moved({ object: 'Lead', id: '00QC', memberId: null }),
            moved({ object: 'Contact', id: '003L', memberId: null }),
            moved({ object: 'Lead', id: '00QD', memberId: null }),
            moved({ object: 'Lead', id: '00QP', memberId: null })
        ];
        const dead = relocatePeople(
            items,
            [{ Id: 'CM1', LeadId: '00QM', ContactId: '003X' }],
            [{ Id: '003L', Email: 'moved@example.com', IsDeleted: false }],
            [
                { Id: '00QL', IsDeleted: true, MasterRecordId: '00QMASTER' },
                { Id: '00QC', IsDeleted: false, IsConverted: true, ConvertedContactId: '003C' },
                { Id: '00QD', IsDeleted: true, MasterRecordId: null }
            ],
            logger,
            's1'
        );
        expect(items.map((item) => item.resolution && [item.resolution.object, item.resolution.id])).toEqual([
            ['Contact', '003X'],
            ['Lead', '00QMASTER'],
            ['Contact', '003C'],
            ['Contact', '003L'],
            null,
            null
        ]);
        expect(items[0]!.memberId).toBe('CM1');
        expect([...dead].sort()).toEqual(['00QD', '00QP']);
    });

    it("matching by e-mail uses a merged record's master after live records, never a dead id", () => {
        const items: Resolvable[] = [
            { row: { personId: 'a' }, email: 'merged@example.com', resolution: null },
            { row: { personId: 'b' }, email: 'both@example.com', resolution: null },
            { row: { personId: 'c' }, email: 'deleted@example.com', resolution: null },
            { row: { personId: 'd' }, email: 'dead.master@example.com', resolution: null }
        ];
        resolvePeople(
            items,
            [],
            [
                { Id: '00Q1', Email: 'merged@example.com', IsDeleted: true, MasterRecordId: '00QM' },
                { Id: '00Q2', Email: 'both@example.com', IsDeleted: true, MasterRecordId: '00QM' },
                { Id: '00Q3', Email: 'both@example.com', IsDeleted: false },
                { Id: '00Q4', Email: 'deleted@example.com', IsDeleted: true, MasterRecordId: null },
                { Id: '00Q5', Email: 'dead.master@example.com', IsDeleted: true, MasterRecordId: '00QX' }
            ],
            logger,
            's1',
            new Set(['00QX'])
        );
        expect(items.map((item) => item.resolution?.id ?? null)).toEqual(['00QM', '00Q3', null, null]);
    });

    it('compares e-mails trimmed and without letter case', () => {
        expect(emailKey(' Sam.Twice@Example.COM ')).toBe(emailKey('sam.twice@example.com'));
    });
});
