// A Campaign named while Livestorm's API could not give the event title gets its real Name once the title is known —
// unless an admin renamed it meanwhile (DESIGN, "Campaign Name").
import { afterEach, describe, expect, it } from 'vitest';
import { checkAndClose } from '../support/invariant.ts';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, campaignsOf, hoursFromNow, memberByEmail } from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

const UNTITLED = /^Livestorm session [0-9a-f]{8} - \d{4}-\d{2}-\d{2}$/;

/** A session created while Livestorm's API is down: its Campaign gets the stand-in Name. */
async function createdDuringOutage(current: Stack, title: string) {
    const event = current.simulator.state.createEvent({ title });
    const startsAt = hoursFromNow(24);
    const session = current.simulator.state.createSession(event.id, { startsAt, timezone: 'UTC' });
    current.simulator.setUnavailable(true);
    await current.sender.deliver('session.created', session);
    await expect.poll(() => campaignsOf(current, session.id).length, { timeout: 15_000 }).toBe(1);
    const campaign = campaignOf(current, session.id);
    expect(String(campaign.Name)).toMatch(UNTITLED);
    const date = new Date(startsAt * 1000).toISOString().slice(0, 10);
    return { event, session, campaignId: String(campaign.Id), titled: `${title} - ${date}` };
}

describe('a Campaign named without the event title', () => {
    it('gets "{title} - {date}" once Livestorm answers again, with no other delivery needed', async () => {
        stack = await startStack({ livestormMaxRetries: 0 });
        const { session, campaignId, titled } = await createdDuringOutage(stack, 'Pricing deep dive');
        stack.simulator.setUnavailable(false);
        await expect.poll(() => campaignOf(stack!, session.id).Name, { timeout: 15_000 }).toBe(titled);
        await stack.engine.whenIdle();
        expect(campaignOf(stack, session.id)).toMatchObject({
            Id: campaignId,
            Name: titled,
            Livestorm_Event_Title__c: 'Pricing deep dive'
        });
        expect(campaignsOf(stack)).toHaveLength(1);
    });

    it('keeps the Name an admin gave it meanwhile', async () => {
        stack = await startStack({ livestormMaxRetries: 0 });
        const { session, campaignId } = await createdDuringOutage(stack, 'Roadmap review');
        stack.emulator.inspect.update('Campaign', campaignId, { Name: 'Roadmap review (EMEA)' });
        stack.simulator.setUnavailable(false);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Ada',
                lastName: 'Admin',
                email: 'ada.admin@example.com'
            })
        );
        await stack.engine.whenIdle();
        await expect
            .poll(() => campaignOf(stack!, session.id).Livestorm_Event_Title__c, { timeout: 15_000 })
            .toBe('Roadmap review');
        await stack.engine.whenIdle();
        expect(campaignOf(stack, session.id)).toMatchObject({
            Id: campaignId,
            Name: 'Roadmap review (EMEA)'
        });
        expect(memberByEmail(stack, campaignId, 'ada.admin@example.com')?.Status).toBe('Registered');
        expect(await stack.store.getSetting(`untitledCampaignName:${session.id}`)).toBeNull();
    });
});

describe("the Livestorm side of the listener's health", () => {
    /** Delivers session.created for a new session whose event Livestorm does not know (deleted, another workspace's). */
    async function sessionOfUnknownEvent(current: Stack, eventId: string, startsInHours: number) {
        const known = current.simulator.state.createEvent({ title: 'Known' });
        const session = current.simulator.state.createSession(known.id, {
            startsAt: hoursFromNow(startsInHours),
            timezone: 'UTC'
        });
        await current.sender.deliver('session.created', {
            ...session,
            attributes: { ...session.attributes, event_id: eventId }
        });
        return session;
    }

    it('stays "ok" when Livestorm answers that an event does not exist, and says "unreachable" only when it cannot be reached', async () => {
        stack = await startStack({ livestormMaxRetries: 0 });
        // The API answers 404 for that event.
        const session = await sessionOfUnknownEvent(stack, 'event-unknown-to-livestorm', 24);
        await expect.poll(() => campaignsOf(stack!, session.id).length, { timeout: 15_000 }).toBe(1);
        expect(stack.engine.health().livestorm).toMatchObject({ state: 'ok', reason: null });

        stack.simulator.setUnavailable(true);
        await sessionOfUnknownEvent(stack, 'another-event-unknown', 48);
        await expect
            .poll(() => stack!.engine.health().livestorm.state, { timeout: 15_000 })
            .toBe('unreachable');
        expect(stack.engine.health().livestorm.reason).toMatch(/cannot be reached/);
    });
});
