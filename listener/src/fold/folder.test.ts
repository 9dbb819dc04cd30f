import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { personAttributesSchema } from '../livestorm/webhook-schema.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { applyFoldItems, foldPendingDeliveries } from './folder.ts';
import type { FoldItem } from './folder.ts';
import { livestormPayload } from '../../test/livestorm-payloads.ts';

const payload = (file: string) => livestormPayload(file);
const person = (
    file: string,
    event: 'people.registered' | 'people.attended' | 'people.watched_replay'
): FoldItem => ({
    kind: 'person',
    event,
    personId: 'fd0fc320-477f-4c56-9a16-28d6eecbbf96',
    attributes: personAttributesSchema.parse(JSON.parse(payload(file)).data.attributes)
});

let store: Store;
let dir: string;
beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsf-folder-'));
    store = await createSqliteStore({ dataDir: dir });
});
afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
});

describe('folding into the store', () => {
    it("folds started at the same time never lose each other's changes", async () => {
        await Promise.all([
            applyFoldItems(store, [person('people.registered.INFERRED.json', 'people.registered')]),
            applyFoldItems(store, [person('people.attended.INFERRED.json', 'people.attended')]),
            applyFoldItems(store, [person('people.watched_replay.INFERRED.json', 'people.watched_replay')])
        ]);
        const [row] = await store.getPeople('0abbcb51-4a95-46d7-9879-fd141986a3a8');
        expect(row?.state).toMatchObject({ attendance: 'attended', replayWatched: true });
        expect(row?.version).toBe(3);
    });

    it('drains the inbox: usable deliveries folded and done, unusable ones quarantined with the reason', async () => {
        const registered = payload('people.registered.INFERRED.json');
        await store.appendDelivery({
            receivedAt: 1,
            event: 'people.registered',
            body: registered,
            bodyHash: 'a'
        });
        await store.appendDelivery({ receivedAt: 2, event: null, body: '{"data":{}}', bodyHash: 'b' });
        await store.appendDelivery({
            receivedAt: 3,
            event: 'session.created',
            body: payload('session.created.INFERRED.json'),
            bodyHash: 'c'
        });
        const outcome = await foldPendingDeliveries(store);
        expect(outcome).toMatchObject({ deliveries: 3, quarantined: 1 });
        expect(outcome.sessionIds.sort()).toEqual([
            '0abbcb51-4a95-46d7-9879-fd141986a3a8',
            '18f9b8b2-020f-4277-83b4-2383149df70e'
        ]);
        expect(await store.countDeliveries()).toEqual({ pending: 0, done: 2, quarantined: 1 });
        const [quarantined] = await store.listDeliveries({ state: 'quarantined', limit: 5 });
        expect(quarantined?.error).toMatch(/not a Livestorm webhook envelope/);
        expect((await store.getEvent('34304943-e1d2-42f6-bca4-95db94434fd3'))?.eventId).toBe(
            '34304943-e1d2-42f6-bca4-95db94434fd3'
        );
    });
});
