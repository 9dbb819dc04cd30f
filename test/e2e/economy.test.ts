// API economy, measured on the emulator's call accounting (a composite is one call, as Salesforce counts it).
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, hoursFromNow, membersOf } from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

// What most production orgs add: an active Lead assignment rule, a flow on Campaign Members, address picklists. The
// headers they need (Sforce-Auto-Assign on every write subrequest) must not cost calls.
const PRODUCTION_LIKE = {
    assignmentRules: [{ name: 'Round robin', active: true, queue: 'Sales' }],
    flows: { campaignMemberUpdatesLead: true },
    addressPicklists: true
};

/** A clock that runs with real time from wherever `set` puts it. */
function engineClock() {
    let offset = 0;
    return {
        now: () => Date.now() + offset,
        set: (at: number) => {
            offset = at - Date.now();
        }
    };
}

/**
 * A stack whose engine reads `clock` (batch window 250 ms, maxBatchWaitMs 3 s) and one upcoming session of a new
 * event, its Campaign written.
 */
async function sessionOnEngineClock(title: string) {
    const clock = engineClock();
    stack = await startStack({
        settings: { batchWindowMs: 250, maxBatchWaitMs: 3000 },
        engineClock: clock.now
    });
    const event = stack.simulator.state.createEvent({ title });
    await stack.sender.deliver('event.created', event);
    const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(10) });
    await stack.sender.deliver('session.created', session);
    await stack.engine.whenIdle();
    return { clock, session, running: stack };
}

describe('API economy', () => {
    it.each([
        ['a clean org', {}],
        ['an org with assignment rules, a flow and address picklists', PRODUCTION_LIKE]
    ])(
        'an isolated registrant costs at most 2 API calls (lookup, then create Lead and member together) in %s',
        async (_, org) => {
            stack = await startStack({ salesforce: org });
            const event = stack.simulator.state.createEvent({ title: 'Economy' });
            await stack.sender.deliver('event.created', event);
            const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(10) });
            await stack.sender.deliver('session.created', session);
            await stack.engine.whenIdle();
            stack.emulator.inspect.resetCalls();
            await stack.sender.deliver(
                'people.registered',
                stack.simulator.state.register(session.id, {
                    firstName: 'Iso',
                    lastName: 'Lated',
                    email: 'isolated@example.com',
                    fields: [{ id: 'country', value: 'Deutschland', custom: true }]
                })
            );
            await stack.engine.whenIdle();
            expect(membersOf(stack, String(campaignOf(stack, session.id).Id))).toHaveLength(1);
            expect(stack.emulator.inspect.calls().total).toBeLessThanOrEqual(2);
            const [lead] = stack.emulator.inspect.records('Lead');
            expect(lead?.Country).toBe(org === PRODUCTION_LIKE ? 'Germany' : 'Deutschland');
        }
    );

    it('a registration wave arriving over longer than maxBatchWaitMs is written in one pass (one lookup, two writes)', async () => {
        // The engine's clock runs from where a test sets it: registration i reaches the listener at i × 4.3 ms of that
        // clock, so the wave of 1,000 lasts 4.3 s — past the 3 s bound — however fast this machine delivers them.
        const { clock, session, running } = await sessionOnEngineClock('Long wave');
        const people = Array.from({ length: 1000 }, (_, index) =>
            running.simulator.state.register(session.id, {
                firstName: 'Wave',
                lastName: `${index}`,
                email: `wave${index}@example.com`
            })
        );
        running.emulator.inspect.resetCalls();
        const begin = clock.now();
        for (const [index, person] of people.entries()) {
            clock.set(begin + index * 4.3);
            const outcome = await running.sender.deliver('people.registered', person);
            expect(outcome.delivered).toBe(true);
        }
        await running.engine.whenIdle();
        expect(membersOf(running, String(campaignOf(running, session.id).Id))).toHaveLength(1000);
        const passes = (await running.store.listSyncLog(50)).filter(
            (entry) => entry.sessionId === session.id && entry.ok > 0
        );
        expect(passes.map((entry) => entry.ok)).toEqual([1000]);
        expect(running.emulator.inspect.calls().total).toBeLessThanOrEqual(3);
    });

    it('a wave too slow to fill a pass is written at maxBatchWaitMs after its first registration', async () => {
        const { clock, session, running } = await sessionOnEngineClock('Slow wave');
        // 100 a second for 6 s: 300 at the bound, a whole pass would only gather after 10 s, more than twice the bound.
        const begin = clock.now();
        for (let index = 0; index < 600; index += 1) {
            clock.set(begin + index * 10);
            const outcome = await running.sender.deliver(
                'people.registered',
                running.simulator.state.register(session.id, {
                    firstName: 'Slow',
                    lastName: `${index}`,
                    email: `slow${index}@example.com`
                })
            );
            expect(outcome.delivered).toBe(true);
        }
        await running.engine.whenIdle();
        expect(membersOf(running, String(campaignOf(running, session.id).Id))).toHaveLength(600);
        // The first pass started at the bound with the ~300 registrations gathered by then.
        const passes = (await running.store.listSyncLog(50))
            .filter((entry) => entry.sessionId === session.id && entry.ok > 0)
            .reverse();
        expect(passes.length).toBeGreaterThanOrEqual(2);
        expect(passes[0]!.ok).toBeLessThan(400);
    });

    it('a long session end is written in passes of at most 1,000 while its deliveries still arrive, one call at a time on the Campaign', async () => {
        // 1 ms per record: a pass of 1,000 takes the org about a second, as in a real org. A write finding the
        // Campaign locked by another call is refused at once (no lock wait), so two passes writing together would show.
        stack = await startStack({
            settings: { batchWindowMs: 250 },
            salesforce: { perRecordLatencyMs: 1 }
        });
        const event = stack.simulator.state.createEvent({ title: 'Long session end' });
        await stack.sender.deliver('event.created', event);
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(10) });
        await stack.sender.deliver('session.created', session);
        const people = Array.from({ length: 2500 }, (_, index) =>
            stack!.simulator.state.register(session.id, {
                firstName: 'End',
                lastName: `${index}`,
                email: `end${index}@example.com`
            })
        );
        await Promise.all(people.map((person) => stack!.sender.deliver('people.registered', person)));
        await stack.engine.whenIdle(120_000);
        const campaignId = String(campaignOf(stack, session.id).Id);
        expect(membersOf(stack, campaignId)).toHaveLength(2500);
        stack.simulator.state.startSession(session.id);
        stack.simulator.state.endSession(session.id, {
            attendance: Object.fromEntries(
                people.map((person, index) => [person.id, { attended: index % 3 !== 0, durationSec: 900 }])
            )
        });
        const before = stack.emulator.inspect.calls().log.length;
        await stack.sender.deliver('session.ended', stack.simulator.state.getSession(session.id));
        // 16 senders, one delivery in flight each, person i sent at i × 2 ms: ~5 s of deliveries.
        const begin = performance.now();
        await Promise.all(
            Array.from({ length: 16 }, async (_, lane) => {
                for (let index = lane; index < people.length; index += 16) {
                    const wait = begin + index * 2 - performance.now();
                    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
                    const person = stack!.simulator.state.getPerson(people[index]!.id, session.id);
                    const outcome = await stack!.sender.deliver(
                        index % 3 !== 0 ? 'people.attended' : 'people.not_attended',
                        person
                    );
                    expect(outcome.delivered).toBe(true);
                }
            })
        );
        const writtenBeforeLastDelivery = membersOf(stack, campaignId).filter(
            (member) => member.Status !== 'Registered'
        ).length;
        await stack.engine.whenIdle(120_000);
        const members = membersOf(stack, campaignId);
        expect(members.filter((member) => member.Status === 'Attended')).toHaveLength(1666);
        expect(members.filter((member) => member.Status === 'Did not attend')).toHaveLength(834);
        // Written while the deliveries were still arriving, not after the whole burst.
        expect(writtenBeforeLastDelivery).toBeGreaterThanOrEqual(1000);
        const writes = stack.emulator.inspect.calls().log.slice(before);
        // Each call writes at most one pass: 1,000 members (plus the Campaign read and update).
        expect(Math.max(...writes.map((entry) => entry.records ?? 0))).toBeLessThanOrEqual(1002);
        // Passes of 1,000, not per record: 3 at best, a pass or so more when a pause in the deliveries ends a window.
        expect(writes.length).toBeLessThanOrEqual(6);
        // Passes of one session never wrote at once: no member write was refused for the Campaign's lock.
        expect(stack.emulator.inspect.calls().lockErrors).toBe(0);
    });

    it('1,000 registrants in a burst over the whole lifecycle cost at most 6 API calls after start-up', async () => {
        // Each phase of the webinar arrives as one burst gathered in one batch (in-process delivery is slower than
        // Livestorm's, so the batch window is widened to cover it; the benchmark measures the default window).
        stack = await startStack({
            settings: { batchWindowMs: 1000, maxBatchWaitMs: 30_000 },
            sender: { concurrency: 16 }
        });
        stack.emulator.inspect.resetCalls();
        const event = stack.simulator.state.createEvent({ title: 'Big webinar' });
        await stack.sender.deliver('event.created', event);
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(10) });
        await stack.sender.deliver('session.created', session);
        await stack.engine.whenIdle();
        // Start-up reads describes and statuses once (1 call); it is not per registrant.
        const people = Array.from({ length: 1000 }, (_, index) =>
            stack!.simulator.state.register(session.id, {
                firstName: 'Burst',
                lastName: `${index}`,
                email: `burst${index}@example.com`
            })
        );
        const before = stack.emulator.inspect.calls().total;
        const sessionCalls = before - 1;
        await Promise.all(people.map((person) => stack!.sender.deliver('people.registered', person)));
        await stack.engine.whenIdle();
        stack.simulator.state.startSession(session.id);
        stack.simulator.state.endSession(session.id, {
            attendance: Object.fromEntries(
                people.map((person, index) => [person.id, { attended: index % 3 !== 0, durationSec: 900 }])
            )
        });
        await stack.sender.deliver('session.ended', stack.simulator.state.getSession(session.id));
        await Promise.all(
            people.map((person, index) =>
                stack!.sender.deliver(
                    index % 3 !== 0 ? 'people.attended' : 'people.not_attended',
                    stack!.simulator.state.getPerson(person.id, session.id)
                )
            )
        );
        await stack.engine.whenIdle();
        await Promise.all(
            people
                .slice(0, 200)
                .map((person) =>
                    stack!.sender.deliver(
                        'people.watched_replay',
                        stack!.simulator.state.watchReplay(session.id, person.id)
                    )
                )
        );
        await stack.engine.whenIdle();
        const campaignId = String(campaignOf(stack, session.id).Id);
        const members = membersOf(stack, campaignId);
        expect(members).toHaveLength(1000);
        expect(members.filter((member) => member.Status === 'Attended')).toHaveLength(666);
        expect(
            members.filter((member) => member.Livestorm_Replay_Status__c === 'Has watched replay')
        ).toHaveLength(200);
        const lifecycleCalls = stack.emulator.inspect.calls().total - 1; // minus the start-up metadata read
        if (lifecycleCalls > 6)
            console.log(
                stack.emulator.inspect
                    .calls()
                    .log.map(
                        (entry: { method: string; path: string; records?: number }) =>
                            `${entry.method} ${entry.path} ${entry.records ?? ''}`
                    )
            );
        expect(sessionCalls).toBeLessThanOrEqual(1);
        expect(lifecycleCalls).toBeLessThanOrEqual(6);
    });
});
