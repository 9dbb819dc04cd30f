// Livestorm's API misbehaving (429 with Retry-After, 5xx, a refused token, the monthly quota spent) while webhooks
// keep arriving: every webhook is still acknowledged, the registrants are still written to the org, and once the API
// answers again the enrichment it provides (the event title in the Campaign Name) resumes.
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy, ProxyMode } from './fault-proxy.ts';
import { exactlyOnce, hoursFromNow, report, scaled } from './harness.ts';

const PEOPLE = scaled(10, 40);

let stack: Stack | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
    await stack?.close();
    await proxy?.close();
    stack = undefined;
    proxy = undefined;
});

const jsonApiError = (status: number, title: string) =>
    JSON.stringify({ errors: [{ status: String(status), title, detail: title }] });

const faults: [string, ProxyMode][] = [
    [
        '429 with Retry-After',
        {
            kind: 'status',
            status: 429,
            headers: { 'Retry-After': '1' },
            body: jsonApiError(429, 'Too Many Requests')
        }
    ],
    ['503', { kind: 'status', status: 503, body: jsonApiError(503, 'Service Unavailable') }],
    ['a refused token', { kind: 'status', status: 401, body: jsonApiError(401, 'Unauthorized') }],
    [
        'the monthly quota spent',
        {
            kind: 'status',
            status: 429,
            headers: { 'Retry-After': '86400' },
            body: jsonApiError(429, 'Quota exceeded')
        }
    ],
    ['refused connections', { kind: 'refuse' }]
];

const totals = { faults: 0, acknowledged: 0, lost: 0, duplicates: 0, 'titles resumed': 0 };

describe('Livestorm API faults', () => {
    it.each(faults)(
        '%s: webhooks acknowledged, registrants written, the title filled in afterwards',
        async (name, mode) => {
            proxy = await startFaultProxy();
            const active = proxy;
            await active.set(mode);
            stack = await startStack({
                sender: { retryDelaysMs: [] },
                livestormApiUrl: (simulator) => {
                    active.retarget(new URL(simulator.apiUrl).origin);
                    return `${active.url}${new URL(simulator.apiUrl).pathname}`;
                }
            });
            const current = stack;
            // No event.created webhook: the title has to come from the API.
            const event = current.simulator.state.createEvent({
                title: `Title from the API ${totals.faults}`
            });
            const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(8) });
            expect((await current.sender.deliver('session.created', session)).delivered).toBe(true);
            const emails: string[] = [];
            for (let index = 0; index < PEOPLE; index++) {
                const email = `ls.${totals.faults}.${index}@example.com`;
                const person = current.simulator.state.register(session.id, {
                    firstName: 'L',
                    lastName: `${index}`,
                    email
                });
                expect((await current.sender.deliver('people.registered', person)).delivered).toBe(true);
                emails.push(email);
            }
            await expect
                .poll(() => exactlyOnce(current.emulator, session.id, emails), {
                    timeout: 60_000,
                    interval: 250
                })
                .toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });

            await active.set({ kind: 'pass' });
            // A later delivery wakes the engine; the title it could not read is read now.
            const late = current.simulator.state.register(session.id, {
                firstName: 'L',
                lastName: 'late',
                email: `ls.${totals.faults}.late@example.com`
            });
            expect((await current.sender.deliver('people.registered', late)).delivered).toBe(true);
            emails.push(late.attributes.email);
            await expect
                .poll(
                    () =>
                        String(
                            current.emulator.inspect
                                .records('Campaign')
                                .find(
                                    (row: Record<string, unknown>) =>
                                        row.Livestorm_Session_Id__c === session.id
                                )?.Name
                        ),
                    { timeout: 60_000, interval: 250 }
                )
                .toContain(event.attributes.title);
            const result = exactlyOnce(current.emulator, session.id, emails);
            expect(result).toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
            totals.faults++;
            totals.acknowledged += emails.length + 1;
            totals['titles resumed']++;
            if (totals.faults === faults.length) report('livestorm faults', totals);
        }
    );
});
