import { afterEach, describe, expect, it } from 'vitest';
import {
    startLivestormSimulator,
    type LivestormSimulator,
    type LivestormSimulatorOptions
} from '../../../test/emulators/livestorm/index.ts';
import { createLivestormClient, LivestormApiError, type LivestormClientOptions } from './client.ts';

let simulator: LivestormSimulator | undefined;

afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
});

async function setup(
    simulatorOptions: LivestormSimulatorOptions = {},
    clientOptions: Partial<LivestormClientOptions> = {}
) {
    simulator = await startLivestormSimulator({ token: 'ls-token-5f2b9c81d7e4', ...simulatorOptions });
    const client = createLivestormClient({
        baseUrl: simulator.apiUrl,
        token: simulator.token,
        ...clientOptions
    });
    return { sim: simulator, client };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
    const items: T[] = [];
    for await (const item of iterable) items.push(item);
    return items;
}

async function failure(promise: Promise<unknown>): Promise<LivestormApiError> {
    try {
        await promise;
    } catch (error) {
        if (error instanceof LivestormApiError) return error;
        throw error;
    }
    throw new Error('expected a LivestormApiError');
}

/** The most requests that arrived within any one second, as the simulator counts them. */
function busiestSecond(arrivals: number[]): number {
    const sorted = [...arrivals].sort((a, b) => a - b);
    let busiest = 0;
    for (let start = 0; start < sorted.length; start++) {
        let end = start;
        while (end + 1 < sorted.length && (sorted[end + 1] as number) - (sorted[start] as number) < 1000)
            end++;
        busiest = Math.max(busiest, end - start + 1);
    }
    return busiest;
}

describe('resources', () => {
    it('reads an event and a session into plain fields', async () => {
        const { sim, client } = await setup();
        const live = sim.state.createEvent({ title: 'Product demo', status: 'published' });
        const recorded = sim.state.createEvent({ title: 'Masterclass', status: 'published', onDemand: true });
        const session = sim.state.createSession(live.id, {
            startsAt: 1_900_000_000,
            timezone: 'America/New_York'
        });
        sim.state.register(session.id, { email: 'a@example.com' });
        sim.state.startSession(session.id, 1_900_000_060);

        const event = await client.getEvent(live.id);
        expect(event).toMatchObject({
            id: live.id,
            title: 'Product demo',
            registrationLink: `https://app.livestorm.co/p/${live.id}`,
            onDemand: false,
            status: 'published',
            schedulingStatus: 'live'
        });
        expect(event.raw.attributes.slug).toBe('product-demo');
        expect((await client.getEvent(recorded.id)).onDemand).toBe(true);

        expect(await client.getSession(session.id)).toMatchObject({
            id: session.id,
            eventId: live.id,
            status: 'live',
            timezone: 'America/New_York',
            estimatedStartedAt: 1_900_000_000,
            startedAt: 1_900_000_060,
            endedAt: 0,
            canceledAt: 0,
            registrantsCount: 1,
            attendeesCount: 0
        });
    });

    it('walks every page 100 at a time', async () => {
        const { sim, client } = await setup({ requestsPerSecond: 100 });
        for (let index = 0; index < 230; index++) sim.state.createEvent({ title: `Event ${index}` });
        const events = await collect(client.listEvents());
        expect(events.map((event) => event.title)).toEqual(
            Array.from({ length: 230 }, (_, index) => `Event ${index}`)
        );
        const paths = sim.requests().map((request) => request.path);
        expect(paths).toEqual(
            [0, 1, 2].map((page) => `/v1/events?page%5Bnumber%5D=${page}&page%5Bsize%5D=100`)
        );
        expect(client.usage().calls).toBe(3);
    });

    it('lists sessions of an event with a status filter and the raw people of a session', async () => {
        const { sim, client } = await setup({ requestsPerSecond: 100 });
        const event = sim.state.createEvent({ title: 'Series', status: 'published' });
        const first = sim.state.createSession(event.id, { startsAt: 1_900_000_000 });
        const second = sim.state.createSession(event.id, { startsAt: 1_900_100_000 });
        sim.state.cancelSession(second.id);
        for (let index = 0; index < 150; index++) {
            sim.state.register(first.id, { email: `p${index}@example.com`, firstName: `P${index}` });
        }

        expect((await collect(client.listEventSessions(event.id))).map((session) => session.id)).toEqual([
            first.id,
            second.id
        ]);
        const canceled = await collect(client.listEventSessions(event.id, { status: 'canceled' }));
        expect(canceled.map((session) => [session.id, session.status])).toEqual([[second.id, 'canceled']]);

        const people = await collect(client.listSessionPeople(first.id));
        expect(people).toEqual(sim.state.sessionPeople(first.id));
        expect(sim.calls().byPath['/v1/sessions/:id/people']).toBe(2);
    });
});

describe('errors', () => {
    it('turns a 404 into LivestormApiError with status 404, without retrying', async () => {
        const { sim, client } = await setup();
        const error = await failure(client.getSession('missing-session'));
        expect(error).toMatchObject({ status: 404, kind: 'http', path: '/sessions/missing-session' });
        expect(error.message).toContain("Couldn't find sessions with id missing-session");
        expect(sim.calls().total).toBe(1);
    });

    it('sends the raw token as Authorization, never "Bearer", and never puts it in an error', async () => {
        const seen: Array<string | null> = [];
        const spy: typeof fetch = (input, init) => {
            seen.push(new Headers(init?.headers).get('authorization'));
            return fetch(input, init);
        };
        const { sim, client } = await setup({}, { fetch: spy });
        await client.getEvent(sim.state.createEvent({ title: 'x' }).id);
        expect(seen).toEqual([sim.token]);

        const wrong = createLivestormClient({ baseUrl: sim.apiUrl, token: 'wrong-token-a81c3f', fetch: spy });
        const error = await failure(wrong.getEvent('any'));
        expect(error.status).toBe(401);
        expect(error.message).not.toContain('wrong-token-a81c3f');
    });

    it('redacts the token from network error messages and gives up after maxRetries', async () => {
        const token = 'leaky-token-93e1';
        let attempts = 0;
        const broken: typeof fetch = async () => {
            attempts++;
            throw new TypeError(`connect ECONNREFUSED while sending Authorization: ${token}`);
        };
        const client = createLivestormClient({
            baseUrl: 'http://127.0.0.1:9/v1',
            token,
            fetch: broken,
            maxRetries: 2
        });
        const error = await failure(client.getEvent('e1'));
        expect(attempts).toBe(3);
        expect(error).toMatchObject({ status: 0, kind: 'network' });
        expect(error.message).toContain('ECONNREFUSED');
        expect(error.message).not.toContain(token);
    });

    it('retries 5xx and network errors with backoff, then succeeds', async () => {
        const { sim } = await setup();
        const event = sim.state.createEvent({ title: 'Flaky' });
        const script: Array<'503' | 'network' | 'pass'> = ['503', 'network', 'pass'];
        const flaky: typeof fetch = async (input, init) => {
            const step = script.shift() ?? 'pass';
            if (step === '503') return new Response('{"errors":[{"title":"Unavailable"}]}', { status: 503 });
            if (step === 'network') throw new TypeError('fetch failed');
            return fetch(input, init);
        };
        const client = createLivestormClient({ baseUrl: sim.apiUrl, token: sim.token, fetch: flaky });
        expect((await client.getEvent(event.id)).title).toBe('Flaky');
        expect(client.usage().calls).toBe(3);
    });

    it('reports a response of the wrong shape', async () => {
        const odd: typeof fetch = async () =>
            Response.json({ data: { id: 'e1', type: 'sessions', attributes: {} } });
        const client = createLivestormClient({
            baseUrl: 'http://127.0.0.1:9/v1',
            token: 't0ken',
            fetch: odd
        });
        const error = await failure(client.getEvent('e1'));
        expect(error.kind).toBe('invalid_response');
        expect(error.message).toContain('data.type');
    });
});

describe('limits', () => {
    it('never sends more than requestsPerSecond in any second, even to concurrent callers', async () => {
        const { sim, client } = await setup({ requestsPerSecond: 5 }, { requestsPerSecond: 5 });
        const ids = Array.from(
            { length: 13 },
            (_, index) => sim.state.createEvent({ title: `E${index}` }).id
        );
        const started = Date.now();
        const events = await Promise.all(ids.map((id) => client.getEvent(id)));
        expect(events.map((event) => event.id)).toEqual(ids);
        const requests = sim.requests();
        expect(requests.every((request) => request.status === 200)).toBe(true);
        expect(busiestSecond(requests.map((request) => request.atMs))).toBe(5);
        expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    });

    it('waits Retry-After on a 429 and retries', async () => {
        const { sim, client } = await setup({ requestsPerSecond: 5 }, { requestsPerSecond: 50 });
        const ids = Array.from({ length: 8 }, (_, index) => sim.state.createEvent({ title: `E${index}` }).id);
        const events = await Promise.all(ids.map((id) => client.getEvent(id)));
        expect(events.map((event) => event.id)).toEqual(ids);
        const statuses = sim.requests().map((request) => request.status);
        expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
        expect(statuses.filter((status) => status === 200)).toHaveLength(8);
    });

    it('fails fast with 429 when the monthly quota is spent, and reports what remains', async () => {
        const { sim, client } = await setup({ quota: 2 });
        const event = sim.state.createEvent({ title: 'x' });
        await client.getEvent(event.id);
        expect(client.usage()).toEqual({ calls: 1, lastRemaining: 1 });
        await client.getEvent(event.id);
        const error = await failure(client.getEvent(event.id));
        expect(error.status).toBe(429);
        expect(error.retryAfterSec).toBeGreaterThan(24 * 3600);
        expect(client.usage()).toEqual({ calls: 3, lastRemaining: 0 });
    });

    it('stops waiting when its signal is aborted', async () => {
        const controller = new AbortController();
        const { sim, client } = await setup({}, { requestsPerSecond: 1, signal: controller.signal });
        const event = sim.state.createEvent({ title: 'x' });
        await client.getEvent(event.id);
        const pending = client.getEvent(event.id);
        controller.abort(new Error('shutting down'));
        await expect(pending).rejects.toThrow('shutting down');
        expect(sim.calls().total).toBe(1);
    });
});
