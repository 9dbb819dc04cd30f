// The past-session rule end to end: a session is set aside only when it was over before syncing began for its event
// (the listener's first start, or the event's later enabling), judged on its end once its deliveries are folded — and
// every session set aside is logged and stored with its reason.
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionResource } from '../emulators/livestorm/types.ts';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, campaignsOf, hoursFromNow, memberByEmail } from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

/** The session resource as Livestorm sends it, created `days` days ago in Livestorm. */
function createdDaysAgo(resource: SessionResource, days: number): SessionResource {
    const copy = structuredClone(resource);
    copy.attributes.created_at = hoursFromNow(-24 * days);
    return copy;
}

describe('past sessions', () => {
    it('created before the first start, ended after it, delivered ended → registrations → created: synced', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Created long ago' });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(-1) });
        const person = stack.simulator.state.register(session.id, {
            firstName: 'Late',
            lastName: 'Fold',
            email: 'late.fold@example.com'
        });
        const created = createdDaysAgo(stack.simulator.state.getSession(session.id), 30);
        stack.simulator.state.startSession(session.id);
        const ended = createdDaysAgo(
            stack.simulator.state.endSession(session.id, {
                attendance: { [person.id]: { attended: true, durationSec: 1800 } }
            }),
            30
        );
        // One after the other: each may be folded (and judged) before the next arrives.
        await stack.sender.deliver('session.ended', ended);
        await stack.sender.deliver('people.registered', person);
        await stack.sender.deliver('people.attended', stack.simulator.state.getPerson(person.id, session.id));
        await stack.sender.deliver('session.created', created);
        await stack.engine.whenIdle();

        const campaign = campaignOf(stack, session.id);
        expect(memberByEmail(stack, String(campaign.Id), 'late.fold@example.com')?.Status).toBe('Attended');
        const [row] = await stack.store.getSessions([session.id]);
        expect(row?.setAside).toBeNull();
    });

    it('a session that ended before the first start is set aside, logged, and stored with its reason', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Long over' });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(-50) });
        const person = stack.simulator.state.register(session.id, {
            firstName: 'Old',
            lastName: 'News',
            email: 'old.news@example.com'
        });
        stack.simulator.state.startSession(session.id, hoursFromNow(-50));
        const ended = stack.simulator.state.endSession(session.id, {
            attendance: { [person.id]: { attended: true, durationSec: 600 } },
            endedAt: hoursFromNow(-49)
        });
        // A late delivery of an old session reaches the listener.
        await stack.sender.deliver('session.ended', ended);
        await stack.sender.deliver('people.attended', stack.simulator.state.getPerson(person.id, session.id));
        await stack.engine.whenIdle();

        expect(campaignsOf(stack, session.id)).toHaveLength(0);
        const [row] = await stack.store.getSessions([session.id]);
        expect(row?.setAside?.reason).toMatch(
            /^This session ended on .* before the listener was first started/
        );
        const log = await stack.store.listSyncLog(20);
        expect(log).toContainEqual(
            expect.objectContaining({
                sessionId: session.id,
                kind: 'set-aside',
                message: row!.setAside!.reason
            })
        );
    });

    it('for an event enabled later: sessions over before the enabling are set aside, later ones synced', async () => {
        stack = await startStack({ settings: { enabledByDefault: false } });
        const event = stack.simulator.state.createEvent({ title: 'Enabled later' });
        await stack.sender.deliver('event.created', event);
        const before = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(-3) });
        const early = stack.simulator.state.register(before.id, {
            firstName: 'Ear',
            lastName: 'Ly',
            email: 'early@example.com'
        });
        stack.simulator.state.startSession(before.id, hoursFromNow(-3));
        await stack.sender.deliver(
            'session.ended',
            stack.simulator.state.endSession(before.id, { attendance: {}, endedAt: hoursFromNow(-2) })
        );
        await stack.sender.deliver(
            'people.not_attended',
            stack.simulator.state.getPerson(early.id, before.id)
        );
        await stack.engine.whenIdle();
        expect(campaignsOf(stack, before.id)).toHaveLength(0);

        // As `npx livestorm-sf events enable` does: it writes the store; the running listener notices.
        await stack.store.setEventEnabled(event.id, true);
        const after = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(2) });
        await stack.sender.deliver('session.created', after);
        await expect.poll(() => campaignsOf(stack!, after.id).length, { timeout: 10_000 }).toBe(1);
        await stack.engine.whenIdle();
        const [row] = await stack.store.getSessions([before.id]);
        expect(row?.setAside?.reason).toMatch(/before its event was enabled/);
        expect(campaignsOf(stack, before.id)).toHaveLength(0);
    });
});
