// Small readers over the emulated org for end-to-end assertions, and the webinar steps most scenarios start with.
import type { Stack } from './stack.ts';

export type Row = Record<string, unknown>;

export function campaignsOf(stack: Stack, sessionId?: string): Row[] {
    return stack.emulator.inspect
        .records('Campaign')
        .filter((row: Row) => !sessionId || row.Livestorm_Session_Id__c === sessionId);
}

export function campaignOf(stack: Stack, sessionId: string): Row {
    const rows = campaignsOf(stack, sessionId);
    if (rows.length !== 1)
        throw new Error(`expected one Campaign for session ${sessionId}, found ${rows.length}`);
    return rows[0]!;
}

export function membersOf(stack: Stack, campaignId: string): Row[] {
    return stack.emulator.inspect
        .records('CampaignMember')
        .filter((row: Row) => row.CampaignId === campaignId);
}

export function statusesOf(stack: Stack, campaignId: string): Row[] {
    return stack.emulator.inspect
        .records('CampaignMemberStatus')
        .filter((row: Row) => row.CampaignId === campaignId)
        .sort((a: Row, b: Row) => Number(a.SortOrder) - Number(b.SortOrder));
}

export function leadsByEmail(stack: Stack, email: string): Row[] {
    return stack.emulator.inspect
        .records('Lead')
        .filter((row: Row) => String(row.Email ?? '').toLowerCase() === email.toLowerCase());
}

export function contactsByEmail(stack: Stack, email: string): Row[] {
    return stack.emulator.inspect
        .records('Contact')
        .filter((row: Row) => String(row.Email ?? '').toLowerCase() === email.toLowerCase());
}

/** The member of a person (by e-mail) in a Campaign, through its Lead or Contact. */
export function memberByEmail(stack: Stack, campaignId: string, email: string): Row | undefined {
    const ids = new Set(
        [...leadsByEmail(stack, email), ...contactsByEmail(stack, email)].map((row) => row.Id)
    );
    return membersOf(stack, campaignId).find((member) => ids.has(member.LeadId) || ids.has(member.ContactId));
}

export function hoursFromNow(hours: number): number {
    return Math.floor(Date.now() / 1000) + hours * 3600;
}

/**
 * Creates an event and one session of it `hours` from now in the simulated Livestorm workspace and delivers both
 * webhooks (event.created, session.created) to the listener; returns the session.
 */
export async function deliverSession(stack: Stack, title: string, hours = 3) {
    const event = stack.simulator.state.createEvent({ title });
    await stack.sender.deliver('event.created', event);
    const created = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(hours) });
    await stack.sender.deliver('session.created', created);
    return created;
}

/**
 * Registers `count` people (`<prefix><n>@example.com`, first name `<prefix><n>`) to a session of the simulated
 * workspace and delivers their people.registered webhooks at once; returns them.
 * @throws when the listener did not acknowledge one of them
 */
export async function deliverRegistrations(
    stack: Stack,
    sessionId: string,
    count: number,
    prefix: string,
    lastName = 'Person'
) {
    const people = Array.from({ length: count }, (_, index) =>
        stack.simulator.state.register(sessionId, {
            firstName: `${prefix}${index}`,
            lastName,
            email: `${prefix}${index}@example.com`
        })
    );
    const outcomes = await Promise.all(
        people.map((person) => stack.sender.deliver('people.registered', person))
    );
    const refused = outcomes.filter((outcome) => !outcome.delivered).length;
    if (refused > 0)
        throw new Error(`${refused} of ${count} registrations were not acknowledged by the listener`);
    return people;
}
