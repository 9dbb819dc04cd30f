// Lead assignment rules in an org that has them: the owners of existing records never change because of the
// listener, and the Leads it creates are routed as the leadAssignment setting says.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose, endsUnsettled } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, hoursFromNow, leadsByEmail, memberByEmail } from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

// An active rule sending every Lead to a queue, an inactive one to another queue, and a flow that touches a Lead when
// it joins a Campaign (so a member insert also updates the Lead, which re-runs the rule unless told not to).
const org = {
    assignmentRules: [
        { name: 'Everything to inside sales', active: true, queue: 'Inside Sales' },
        { name: 'Partners', active: false, queue: 'Partner Desk' }
    ],
    flows: { campaignMemberUpdatesLead: true }
};

function queueId(current: Stack, name: string): string {
    return String(current.emulator.inspect.records('Group').find((group) => group.Name === name)?.Id);
}

async function registerOne(current: Stack, email: string, jobTitle?: string) {
    const event = current.simulator.state.createEvent({
        title: 'Assignment webinar',
        fields: [{ id: 'job_title' }]
    });
    await current.sender.deliver('event.created', event);
    const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(24) });
    await current.sender.deliver('session.created', session);
    await current.engine.whenIdle();
    await current.sender.deliver(
        'people.registered',
        current.simulator.state.register(session.id, {
            firstName: 'Ada',
            lastName: 'Owned',
            email,
            fields: jobTitle ? [{ id: 'job_title', value: jobTitle, custom: true }] : []
        })
    );
    await current.engine.whenIdle();
    return { session, campaignId: String(campaignOf(current, session.id).Id) };
}

describe('Lead assignment rules', () => {
    it('an existing Lead owned by a sales rep keeps its owner when enriched and added to the Campaign', async () => {
        stack = await startStack({ salesforce: org });
        const { inspect } = stack.emulator;
        const rep = inspect.insert('User', {
            Username: 'sam.rep@example.com',
            Email: 'sam.rep@example.com',
            LastName: 'Rep'
        });
        const leadId = inspect.insert('Lead', {
            LastName: 'Owned',
            Company: 'Acme',
            Email: 'owned.lead@example.com',
            OwnerId: rep
        });
        const { campaignId } = await registerOne(stack, 'owned.lead@example.com', 'Head of Growth');
        const [lead] = leadsByEmail(stack, 'owned.lead@example.com');
        expect(lead?.Id).toBe(leadId);
        expect(lead?.Title).toBe('Head of Growth');
        expect(lead?.OwnerId).toBe(rep);
        expect(memberByEmail(stack, campaignId, 'owned.lead@example.com')?.Status).toBe('Registered');
        // Every write subrequest the listener sent carried the header (the log keeps the outer requests only, so the
        // owner above is the proof; the flow's indirect update ran under the member insert's FALSE).
    });

    it('"org-rules" (the default): the active rule routes a new Lead', async () => {
        stack = await startStack({ salesforce: org });
        await registerOne(stack, 'routed@example.com');
        expect(leadsByEmail(stack, 'routed@example.com')[0]?.OwnerId).toBe(queueId(stack, 'Inside Sales'));
    });

    it('"none": a new Lead stays with the integration user', async () => {
        stack = await startStack({ salesforce: org, settings: { leadAssignment: 'none' } });
        await registerOne(stack, 'unrouted@example.com');
        expect(String(leadsByEmail(stack, 'unrouted@example.com')[0]?.OwnerId)).toMatch(/^005/);
    });

    it('a rule Id: that rule routes a new Lead, even while another rule is the active one', async () => {
        stack = await startStack({
            salesforce: org,
            settings: (emulator) => ({
                leadAssignment: String(
                    emulator.inspect.records('AssignmentRule').find((rule) => rule.Name === 'Partners')?.Id
                ).slice(0, 15)
            })
        });
        await registerOne(stack, 'partner@example.com');
        expect(leadsByEmail(stack, 'partner@example.com')[0]?.OwnerId).toBe(queueId(stack, 'Partner Desk'));
    });

    it('a rule Id the org does not have: nothing is written and the reason says what to do', async () => {
        stack = await startStack({ salesforce: org, settings: { leadAssignment: '01Q000000000001' } });
        endsUnsettled(stack);
        const event = stack.simulator.state.createEvent({ title: 'Never written' });
        await stack.sender.deliver('event.created', event);
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(24) });
        await stack.sender.deliver('session.created', session);
        await vi.waitFor(
            () =>
                expect(stack!.engine.health().salesforce.reason).toMatch(
                    /leadAssignment.*01Q000000000001.*set leadAssignment.*nothing is written/
                ),
            { timeout: 20_000, interval: 50 }
        );
        expect(stack.emulator.inspect.records('Campaign')).toHaveLength(0);
    });
});
