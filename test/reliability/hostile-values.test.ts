// Values that reach Salesforce: quotes, backslashes, % and _, control characters and right-to-left marks in
// e-mails, names, companies and titles never change a lookup (no wildcard or broken-quote match of another record)
// and never break a record; over-long values are cut to the field's length without splitting a surrogate pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, leadsByEmail, membersOf } from '../support/org.ts';
import { hoursFromNow, report } from './harness.ts';

let stack: Stack;
beforeAll(async () => {
    stack = await startStack();
});
afterAll(async () => {
    await stack?.close();
});

const RTL = '\u202e';
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const registrants = [
    { email: "o'brien@example.com", firstName: "D'Arcy", lastName: "O'Brien \\ 100% _x_" },
    { email: 'a_b%c@example.com', firstName: 'Under_score', lastName: '50% off' },
    { email: "x'or'1'='1@example.com", firstName: "' OR Email != '", lastName: 'Injection' },
    { email: 'rtl.mark@example.com', firstName: `${RTL}nimda`, lastName: 'مريم\u200f' },
    { email: 'control.chars@example.com', firstName: 'Bell\u0007', lastName: 'Nul\u0000Escape\u001b[31m' },
    { email: 'long.values@example.com', firstName: 'Emoji', lastName: '😀'.repeat(120) }
];

describe('hostile values reaching Salesforce', () => {
    it('never match another record, never break a record, and are cut on a character boundary', async () => {
        // Records a wildcard reading (LIKE 'a_b%c…') or a broken quote would match, and must stay untouched.
        const decoys = ['axbyc@example.com', 'aXb-anything-c@example.com', 'o@example.com', 'x@example.com'];
        for (const email of decoys)
            stack.emulator.inspect.insert('Lead', { LastName: 'Decoy', Company: 'Decoy', Email: email });

        const title = `Q&A: "Quotes", back\\slash, 100% _under_ ${RTL}RTL ${'🎉'.repeat(60)}`;
        const event = stack.simulator.state.createEvent({
            title,
            fields: [{ id: 'job_title' }, { id: 'company' }]
        });
        await stack.sender.deliver('event.created', event);
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(5) });
        await stack.sender.deliver('session.created', session);
        for (const [index, registrant] of registrants.entries()) {
            const person = stack.simulator.state.register(session.id, {
                ...registrant,
                fields: [
                    {
                        id: 'job_title',
                        value: index === registrants.length - 1 ? '𠮟'.repeat(200) : "Head of 'R&D' \\"
                    },
                    { id: 'company', value: `Company ${index} ${RTL}% _ '` }
                ]
            });
            expect((await stack.sender.deliver('people.registered', person)).delivered).toBe(true);
        }
        await stack.engine.whenIdle(60_000);

        const campaign = campaignOf(stack, session.id);
        const name = String(campaign.Name);
        expect(name.length).toBeLessThanOrEqual(80);
        expect(name.isWellFormed()).toBe(true);
        expect(name.startsWith('Q&A: "Quotes", back\\slash, 100% _under_ \u202eRTL 🎉')).toBe(true);

        const members = membersOf(stack, String(campaign.Id));
        expect(members).toHaveLength(registrants.length);
        for (const registrant of registrants) {
            const leads = leadsByEmail(stack, registrant.email);
            expect(leads, registrant.email).toHaveLength(1);
            const lead = leads[0]!;
            expect(members.filter((member) => member.LeadId === lead.Id)).toHaveLength(1);
            for (const field of ['FirstName', 'LastName', 'Title', 'Company']) {
                const value = String(lead[field] ?? '');
                expect(value.isWellFormed(), `${field} of ${registrant.email}`).toBe(true);
                expect(value, `${field} of ${registrant.email}`).not.toMatch(CONTROL_CHARACTERS);
            }
        }
        expect(leadsByEmail(stack, "o'brien@example.com")[0]!.LastName).toBe("O'Brien \\ 100% _x_");
        expect(leadsByEmail(stack, 'rtl.mark@example.com')[0]!.FirstName).toBe(`${RTL}nimda`);
        expect(leadsByEmail(stack, 'control.chars@example.com')[0]!.LastName).toBe('NulEscape[31m');
        const long = leadsByEmail(stack, 'long.values@example.com')[0]!;
        expect(String(long.LastName)).toBe('😀'.repeat(40));
        expect(String(long.Title).length).toBeLessThanOrEqual(128);
        expect(String(long.Title)).toBe('𠮟'.repeat(64));

        for (const email of decoys) {
            const [decoy] = leadsByEmail(stack, email);
            expect(decoy!.LastName).toBe('Decoy');
            expect(members.some((member) => member.LeadId === decoy!.Id)).toBe(false);
        }
        report('hostile values', {
            registrants: registrants.length,
            decoys: decoys.length,
            leads: registrants.length,
            members: members.length,
            'decoys matched': 0
        });
    });
});
