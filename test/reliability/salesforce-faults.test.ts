// Salesforce misbehaving while registrations keep arriving: connections refused, calls hanging past our request
// timeout, 5xx storms, an expired session refreshed, the daily REQUEST_LIMIT_EXCEEDED, lock storms. The listener must
// keep acknowledging every delivery, recover alone once the org is back, and end with the exact state: one Lead per
// registrant, one member each, no duplicate.
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import type { Stack, StackOptions } from '../support/stack.ts';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy, ProxyMode } from './fault-proxy.ts';
import { exactlyOnce, FULL, hoursFromNow, report } from './harness.ts';

const PER_PHASE = FULL ? 60 : 15;

let stack: Stack | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
    await stack?.close();
    await proxy?.close();
    stack = undefined;
    proxy = undefined;
});

interface Outcome {
    acknowledged: number;
    refused: number;
    lost: number;
    duplicates: number;
}

/**
 * Registers PER_PHASE people before, during and after a fault and checks the end state.
 * @param inject starts the fault; `lift` ends it
 */
async function underFault(
    name: string,
    options: StackOptions,
    inject: (current: Stack) => Promise<void> | void,
    lift: (current: Stack) => Promise<void> | void
): Promise<Outcome> {
    stack = await startStack({ ...options, sender: { retryDelaysMs: [], concurrency: 8 } });
    const current = stack;
    const event = current.simulator.state.createEvent({ title: `Fault ${name}` });
    await current.sender.deliver('event.created', event);
    const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(6) });
    await current.sender.deliver('session.created', session);
    const emails: string[] = [];
    let refused = 0;
    const registerPhase = async (phase: string) => {
        const people = Array.from({ length: PER_PHASE }, (_, index) =>
            current.simulator.state.register(session.id, {
                firstName: phase,
                lastName: `Person ${index}`,
                email: `${name}.${phase}.${index}@example.com`.toLowerCase()
            })
        );
        const outcomes = await Promise.all(
            people.map((person) => current.sender.deliver('people.registered', person))
        );
        for (const [index, outcome] of outcomes.entries()) {
            if (outcome.delivered) emails.push(people[index]!.attributes.email);
            else refused++;
        }
    };
    await registerPhase('before');
    await inject(current);
    await registerPhase('during');
    // Let the engine meet the fault a few times before it is lifted.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await registerPhase('during2');
    await lift(current);
    await registerPhase('after');
    await expect
        .poll(() => exactlyOnce(current.emulator, session.id, emails), { timeout: 120_000, interval: 250 })
        .toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
    const result = exactlyOnce(current.emulator, session.id, emails);
    return { acknowledged: emails.length, refused, lost: result.lost, duplicates: result.duplicates };
}

async function withProxy(): Promise<StackOptions> {
    proxy = await startFaultProxy();
    const active = proxy;
    return {
        salesforceTimeoutMs: 2_000,
        salesforceUrl: (emulator) => {
            active.retarget(emulator.instanceUrl);
            return active.url;
        }
    };
}

const figures: Record<string, number> = { faults: 0, acknowledged: 0, refused: 0, lost: 0, duplicates: 0 };
function record(outcome: Outcome) {
    figures.faults!++;
    figures.acknowledged! += outcome.acknowledged;
    figures.refused! += outcome.refused;
    figures.lost! += outcome.lost;
    figures.duplicates! += outcome.duplicates;
    expect(outcome.refused).toBe(0);
}

describe('Salesforce faults', () => {
    const proxyFaults: [string, ProxyMode][] = [
        ['refused connections', { kind: 'refuse' }],
        ['calls hanging past the request timeout', { kind: 'hang' }],
        [
            'a 503 storm',
            {
                kind: 'status',
                status: 503,
                body: JSON.stringify([{ errorCode: 'SERVER_UNAVAILABLE', message: 'Service Unavailable' }])
            }
        ],
        // The concurrency limits, as the org words them (reference salesforce.md, "REQUEST_LIMIT_EXCEEDED"):
        // retried with a backoff, unlike the daily allocation.
        ...[
            'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
            'ConcurrentPerOrgLongTxn Limit exceeded.'
        ].map((message): [string, ProxyMode] => [
            `REQUEST_LIMIT_EXCEEDED "${message}"`,
            {
                kind: 'status',
                status: 403,
                body: JSON.stringify([{ message, errorCode: 'REQUEST_LIMIT_EXCEEDED' }])
            }
        ])
    ];
    it.each(proxyFaults)('%s', async (name, mode) => {
        const options = await withProxy();
        record(
            await underFault(
                name.replace(/[^A-Za-z]/g, '').slice(0, 24),
                options,
                () => proxy!.set(mode),
                () => proxy!.set({ kind: 'pass' })
            )
        );
    });

    it('a run of 500 answers from the org itself', async () => {
        record(
            await underFault(
                'storm500',
                {},
                (current) => current.emulator.inspect.setFaults({ serverErrors: { count: 5, status: 500 } }),
                () => {}
            )
        );
    });

    it('an expired session, refreshed with the client credentials flow', async () => {
        record(
            await underFault(
                'expired',
                { salesforceAuth: 'client_credentials' },
                (current) => current.emulator.inspect.setFaults({ expireTokens: true }),
                () => {}
            )
        );
        expect(stack!.emulator.inspect.tokens()).toBeGreaterThanOrEqual(2);
    });

    it('the daily limit (REQUEST_LIMIT_EXCEEDED, TotalRequests)', async () => {
        record(
            await underFault(
                'dailylimit',
                { limitProbeIntervalMs: 300 },
                (current) => current.emulator.inspect.setFaults({ exhaustLimit: true }),
                (current) => current.emulator.inspect.setFaults({ exhaustLimit: false })
            )
        );
    });

    it('a lock storm (UNABLE_TO_LOCK_ROW on many writes)', async () => {
        record(
            await underFault(
                'locks',
                {},
                (current) => current.emulator.inspect.setFaults({ injectLockErrors: PER_PHASE * 3 }),
                () => {}
            )
        );
        report('salesforce faults', figures);
    });
});
