// The Campaign side, end to end: one Campaign per session also under concurrency, rename and deletion, per-event
// enable/disable, the first start, reschedules and cancellations.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import {
    campaignOf,
    campaignsOf,
    hoursFromNow,
    memberByEmail,
    membersOf,
    statusesOf
} from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

describe('Campaign per session', () => {
    it('one Campaign per session under concurrent deliveries; the Name is truncated to 80 and never rewritten', async () => {
        stack = await startStack();
        const title = 'A'.repeat(60) + ' — very long webinar title that goes on and on';
        const event = stack.simulator.state.createEvent({ title });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        const people = Array.from({ length: 30 }, (_, index) =>
            stack!.simulator.state.register(session.id, {
                firstName: 'C',
                lastName: `${index}`,
                email: `concurrent${index}@example.com`
            })
        );
        await Promise.all([
            stack.sender.deliver('session.created', session),
            stack.sender.deliver('session.created', session),
            ...people.map((person) => stack!.sender.deliver('people.registered', person))
        ]);
        await stack.engine.whenIdle();
        const campaign = campaignOf(stack, session.id);
        expect(Array.from(String(campaign.Name))).toHaveLength(80);
        expect(membersOf(stack, String(campaign.Id))).toHaveLength(30);

        stack.emulator.inspect.update('Campaign', String(campaign.Id), { Name: 'Renamed by an admin' });
        await stack.sender.deliver('session.started', stack.simulator.state.startSession(session.id));
        await stack.engine.whenIdle();
        expect(campaignOf(stack, session.id)).toMatchObject({
            Id: campaign.Id,
            Name: 'Renamed by an admin',
            Livestorm_Session_Status__c: 'live'
        });
    });

    it('a deleted Campaign is recreated with its statuses and its members restored', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Deleted later' });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        await stack.sender.deliver('session.created', session);
        const alice = stack.simulator.state.register(session.id, {
            firstName: 'Alice',
            lastName: 'A',
            email: 'alice@example.com'
        });
        await stack.sender.deliver('people.registered', alice);
        await stack.engine.whenIdle();
        const first = campaignOf(stack, session.id);
        stack.emulator.inspect.delete('Campaign', String(first.Id));

        const bob = stack.simulator.state.register(session.id, {
            firstName: 'Bob',
            lastName: 'B',
            email: 'bob@example.com'
        });
        await stack.sender.deliver('people.registered', bob);
        await stack.engine.whenIdle();
        const second = campaignOf(stack, session.id);
        expect(second.Id).not.toBe(first.Id);
        expect(statusesOf(stack, String(second.Id)).map((row) => row.Label)).toEqual([
            'Registered',
            'Attended',
            'Did not attend'
        ]);
        expect(memberByEmail(stack, String(second.Id), 'alice@example.com')?.Status).toBe('Registered');
        expect(memberByEmail(stack, String(second.Id), 'bob@example.com')?.Status).toBe('Registered');
    });

    it('a Campaign deleted before the session ends is recreated by the session end, with attendance', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Deleted, then ended' });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        await stack.sender.deliver('session.created', session);
        const alice = stack.simulator.state.register(session.id, {
            firstName: 'Alice',
            lastName: 'A',
            email: 'alice@example.com'
        });
        await stack.sender.deliver('people.registered', alice);
        await stack.engine.whenIdle();
        const first = campaignOf(stack, session.id);
        stack.emulator.inspect.delete('Campaign', String(first.Id));

        stack.simulator.state.endSession(session.id, {
            attendance: { [alice.id]: { attended: true, durationSec: 600 } }
        });
        await stack.sender.deliver('session.ended', stack.simulator.state.getSession(session.id));
        await stack.sender.deliver('people.attended', stack.simulator.state.getPerson(alice.id, session.id));
        await stack.engine.whenIdle();
        const second = campaignOf(stack, session.id);
        expect(second.Id).not.toBe(first.Id);
        expect(memberByEmail(stack, String(second.Id), 'alice@example.com')?.Status).toBe('Attended');
    });

    it('disabled events are stored but not synced; enabling syncs them', async () => {
        stack = await startStack({ settings: { enabledByDefault: false } });
        const event = stack.simulator.state.createEvent({ title: 'Opt-in event' });
        await stack.sender.deliver('event.created', event);
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        await stack.sender.deliver('session.created', session);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Op',
                lastName: 'In',
                email: 'optin@example.com'
            })
        );
        await stack.engine.whenIdle();
        expect(campaignsOf(stack, session.id)).toHaveLength(0);
        expect((await stack.store.countDeliveries()).done).toBeGreaterThanOrEqual(3);

        // As `npx livestorm-sf events enable` does: it only writes the store; the running listener notices.
        const later = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(50) });
        await stack.store.setEventEnabled(event.id, true);
        await expect.poll(() => campaignsOf(stack!, later.id).length, { timeout: 10_000 }).toBe(1);
        await stack.engine.whenIdle();
        const campaign = campaignOf(stack, session.id);
        expect(memberByEmail(stack, String(campaign.Id), 'optin@example.com')?.Status).toBe('Registered');
    });

    it('the first start creates Campaigns for upcoming and on-demand sessions that already exist, never for past ones', async () => {
        const ids: Record<string, string> = {};
        stack = await startStack({
            prepare(simulator) {
                const live = simulator.state.createEvent({ title: 'Upcoming event' });
                ids.upcoming = simulator.state.createSession(live.id, { startsAt: hoursFromNow(72) }).id;
                ids.past = simulator.state.createSession(live.id, { startsAt: hoursFromNow(-72) }).id;
                simulator.state.startSession(ids.past);
                simulator.state.endSession(ids.past, { attendance: {} });
                const onDemandEvent = simulator.state.createEvent({
                    title: 'Replay library',
                    onDemand: true
                });
                ids.onDemand = simulator.state.createSession(onDemandEvent.id, {
                    startsAt: hoursFromNow(-240),
                    status: 'on_demand'
                }).id;
            }
        });
        await stack.engine.whenIdle();
        expect(campaignsOf(stack, ids.upcoming)).toHaveLength(1);
        expect(campaignOf(stack, ids.onDemand!).Livestorm_Event_Type__c).toBe('On-demand');
        expect(campaignsOf(stack, ids.past)).toHaveLength(0);
    });

    it('a first start while the Livestorm API cannot be reached says so, and creates those Campaigns once it answers', async () => {
        let upcoming = '';
        stack = await startStack({
            livestormMaxRetries: 0,
            prepare(simulator) {
                const event = simulator.state.createEvent({ title: 'Upcoming during an outage' });
                upcoming = simulator.state.createSession(event.id, { startsAt: hoursFromNow(48) }).id;
                simulator.setUnavailable(true);
            }
        });
        await stack.engine.whenIdle();
        expect(stack.engine.health().livestorm.state).toBe('unreachable');
        expect(campaignsOf(stack, upcoming)).toHaveLength(0);
        expect(await stack.store.getSetting('existingSessions')).toBe('to discover');
        // No restart and no webhook for that session: the engine tries again on its own.
        stack.simulator.setUnavailable(false);
        await expect.poll(() => campaignsOf(stack!, upcoming).length, { timeout: 15_000 }).toBe(1);
        expect(await stack.store.getSetting('existingSessions')).toBe('discovered');
        expect(stack.engine.health().livestorm.state).toBe('ok');
    });

    it('event.published creates Campaigns for sessions created before publication', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Published later', status: 'draft' });
        const first = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(30) });
        const second = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(54) });
        await stack.sender.deliver('event.published', stack.simulator.state.publishEvent(event.id));
        await expect
            .poll(() => campaignsOf(stack!, first.id).length + campaignsOf(stack!, second.id).length, {
                timeout: 10_000
            })
            .toBe(2);
        expect(campaignOf(stack, second.id).Livestorm_Event_Title__c).toBe('Published later');
    });

    it("a store failure while a published event's sessions are discovered is logged, and the engine goes on", async () => {
        const logs: string[] = [];
        stack = await startStack({ logLevel: 'warn' });
        const event = stack.simulator.state.createEvent({
            title: 'Published during a store fault',
            status: 'draft'
        });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(30) });
        // Once Livestorm has listed the event's sessions, folding them fails (a full disk, say) — once.
        const { store, simulator } = stack;
        const listSessions = simulator.state.listSessions.bind(simulator.state);
        const foldTransaction = store.foldTransaction.bind(store);
        let failNextFold = false;
        simulator.state.listSessions = (eventId: string) => {
            failNextFold = true;
            return listSessions(eventId);
        };
        store.foldTransaction = (work) => {
            if (!failNextFold) return foldTransaction(work);
            failNextFold = false;
            return Promise.reject(new Error('disk I/O error'));
        };
        const warn = vi.spyOn(stack.logger, 'warn').mockImplementation(((...args: unknown[]) => {
            logs.push(String(args.at(-1)));
        }) as never);
        await stack.sender.deliver('event.published', simulator.state.publishEvent(event.id));
        await expect
            .poll(() =>
                logs.some((line) => line.startsWith('discovering the sessions of a published event failed'))
            )
            .toBe(true);
        warn.mockRestore();
        // Nothing is lost: the session's own webhook still makes its Campaign.
        await stack.sender.deliver('session.created', session);
        await expect.poll(() => campaignsOf(stack!, session.id).length, { timeout: 10_000 }).toBe(1);
    });

    it('required custom Campaign fields found by describe get the configured default, else a value of their type', async () => {
        stack = await startStack({
            salesforce: {
                extraFields: {
                    Campaign: [
                        {
                            name: 'Region__c',
                            type: 'picklist',
                            required: true,
                            picklistValues: ['EMEA', 'AMER'],
                            restricted: true
                        },
                        { name: 'Budget_Code__c', type: 'string', length: 20, required: true }
                    ]
                }
            },
            settings: {
                campaign: { defaults: { Type: 'Webinar', IsActive: true, Budget_Code__c: 'MKT-42' } }
            }
        });
        const event = stack.simulator.state.createEvent({ title: 'Required fields' });
        const created = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        await stack.sender.deliver('session.created', created);
        await stack.engine.whenIdle();
        expect(campaignOf(stack, created.id)).toMatchObject({
            Region__c: 'EMEA',
            Budget_Code__c: 'MKT-42',
            Type: 'Webinar',
            IsActive: true
        });
    });

    it('a reschedule and a cancellation found by the refresh of upcoming sessions update the Campaign (Status Aborted)', async () => {
        stack = await startStack({ settings: { refreshIntervalMinutes: 1 } });
        const event = stack.simulator.state.createEvent({ title: 'Moving target' });
        const session = stack.simulator.state.createSession(event.id, {
            startsAt: hoursFromNow(24),
            timezone: 'UTC'
        });
        await stack.sender.deliver('session.created', session);
        await stack.engine.whenIdle();
        const original = campaignOf(stack, session.id);
        const later = hoursFromNow(24 * 10);
        stack.simulator.state.reschedule(session.id, later);
        await stack.engine.refreshUpcoming();
        await stack.engine.whenIdle();
        expect(campaignOf(stack, session.id)).toMatchObject({
            Id: original.Id,
            Name: original.Name,
            StartDate: new Date(later * 1000).toISOString().slice(0, 10)
        });
        stack.simulator.state.cancelSession(session.id);
        await stack.engine.refreshUpcoming();
        await stack.engine.whenIdle();
        expect(campaignOf(stack, session.id)).toMatchObject({
            Status: 'Aborted',
            Livestorm_Session_Status__c: 'canceled'
        });
    });

    it('the refresh of upcoming sessions stays within its share of the Livestorm quota, events in turn', async () => {
        stack = await startStack({ settings: { refreshIntervalMinutes: 60 } });
        for (let index = 0; index < 6; index += 1) {
            const event = stack.simulator.state.createEvent({ title: `Quota ${index}` });
            await stack.sender.deliver('event.created', event);
            await stack.sender.deliver(
                'session.created',
                stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(10 + index) })
            );
        }
        await stack.engine.whenIdle();
        const listings = () => stack!.simulator.calls().byPath['/v1/events/:id/sessions'] ?? 0;
        const before = listings();
        // 100 calls a day at one refresh an hour: 4 events per refresh.
        await stack.engine.refreshUpcoming();
        expect(listings() - before).toBe(4);
        await stack.engine.refreshUpcoming();
        expect(listings() - before).toBe(8);
    });
});
