import { afterEach, describe, expect, it } from 'vitest';
import { startLivestormSimulator, type LivestormSimulator, type LivestormSimulatorOptions } from './index.ts';

let simulator: LivestormSimulator | undefined;

afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
});

async function start(options: LivestormSimulatorOptions = {}): Promise<LivestormSimulator> {
    simulator = await startLivestormSimulator({ requestsPerSecond: 1000, ...options });
    return simulator;
}

async function get(
    path: string,
    authorization?: string
): Promise<{ status: number; body: any; headers: Headers }> {
    if (!simulator) throw new Error('simulator not started');
    const response = await fetch(`${simulator.apiUrl}${path}`, {
        headers: { Authorization: authorization ?? simulator.token }
    });
    return { status: response.status, body: await response.json(), headers: response.headers };
}

describe('authentication', () => {
    it('accepts the raw token and refuses a Bearer prefix, another token or none', async () => {
        const sim = await start({ token: 'secret-token' });
        expect((await get('/ping')).status).toBe(200);
        expect((await get('/ping', 'Bearer secret-token')).status).toBe(401);
        expect((await get('/ping', 'other-token')).status).toBe(401);
        const anonymous = await fetch(`${sim.apiUrl}/ping`);
        expect(anonymous.status).toBe(401);
        const body = (await anonymous.json()) as { errors: Array<{ status: string }> };
        expect(body.errors[0]?.status).toBe('401');
        expect(sim.calls().total).toBe(1);
    });

    it('serves JSON:API documents', async () => {
        await start();
        const response = await get('/ping');
        expect(response.headers.get('content-type')).toBe('application/vnd.api+json');
    });
});

describe('resources and paging', () => {
    it('pages events from page 0, 25 by default and at most 100 per page', async () => {
        const sim = await start();
        for (let index = 0; index < 130; index++) sim.state.createEvent({ title: `Event ${index}` });

        const first = await get('/events');
        expect(first.status).toBe(200);
        expect(first.body.data).toHaveLength(25);
        expect(first.body.meta).toEqual({
            current_page: 0,
            previous_page: null,
            next_page: 1,
            record_count: 130,
            page_count: 6,
            items_per_page: 25
        });
        expect(first.body.data[0].attributes.title).toBe('Event 0');

        const big = await get('/events?page[size]=500&page[number]=1');
        expect(big.body.meta).toMatchObject({
            current_page: 1,
            previous_page: 0,
            next_page: null,
            page_count: 2
        });
        expect(big.body.meta.items_per_page).toBe(100);
        expect(big.body.data).toHaveLength(30);
        expect(big.body.data[0].attributes.title).toBe('Event 100');

        const past = await get('/events?page[number]=9');
        expect(past.body.data).toEqual([]);

        expect((await get('/events?page[number]=-1')).status).toBe(400);
    });

    it('filters events by title and sessions by status', async () => {
        const sim = await start();
        const webinar = sim.state.createEvent({ title: 'Quarterly Webinar', status: 'published' });
        sim.state.createEvent({ title: 'Team offsite' });
        const upcoming = sim.state.createSession(webinar.id, { startsAt: 2_000_000_000 });
        const canceled = sim.state.createSession(webinar.id, { startsAt: 2_000_100_000 });
        sim.state.cancelSession(canceled.id);

        const found = await get(`/events?filter[title]=${encodeURIComponent('quarterly')}`);
        expect(found.body.data.map((event: { id: string }) => event.id)).toEqual([webinar.id]);

        const all = await get(`/events/${webinar.id}/sessions`);
        expect(all.body.meta.record_count).toBe(2);
        const onlyUpcoming = await get(`/events/${webinar.id}/sessions?filter[status]=upcoming`);
        expect(onlyUpcoming.body.data.map((session: { id: string }) => session.id)).toEqual([upcoming.id]);
        expect((await get(`/events/${webinar.id}`)).body.data.attributes.sessions_count).toBe(2);
    });

    it('serves a session, its people (paged, filtered by email) and a person', async () => {
        const sim = await start();
        const event = sim.state.createEvent({ title: 'Demo', status: 'published' });
        const session = sim.state.createSession(event.id, { startsAt: 2_000_000_000 });
        const people = Array.from({ length: 30 }, (_, index) =>
            sim.state.register(session.id, { email: `person${index}@example.com`, firstName: `P${index}` })
        );

        const sessionDoc = await get(`/sessions/${session.id}`);
        expect(sessionDoc.body.data).toMatchObject({
            id: session.id,
            type: 'sessions',
            attributes: { event_id: event.id, status: 'upcoming', registrants_count: 30 }
        });

        const page1 = await get(`/sessions/${session.id}/people?page[size]=20&page[number]=1`);
        expect(page1.body.data).toHaveLength(10);
        expect(page1.body.data[0].id).toBe(people[20]?.id);

        const filtered = await get(`/sessions/${session.id}/people?filter[email]=PERSON7@example.com`);
        expect(filtered.body.data.map((person: { id: string }) => person.id)).toEqual([people[7]?.id]);

        const person = await get(`/people/${people[3]?.id}`);
        expect(person.body.data.attributes.email).toBe('person3@example.com');
        expect(person.body.data.attributes.registrant_detail.session_id).toBe(session.id);
    });

    it('answers unknown ids with a JSON:API 404', async () => {
        await start();
        for (const path of [
            '/events/nope',
            '/events/nope/sessions',
            '/sessions/nope',
            '/sessions/nope/people',
            '/people/nope'
        ]) {
            const response = await get(path);
            expect(response.status, path).toBe(404);
            expect(response.body.errors[0]).toMatchObject({ status: '404', title: 'Not Found' });
            expect(typeof response.body.errors[0].detail).toBe('string');
        }
    });

    it('counts calls by route', async () => {
        const sim = await start();
        const event = sim.state.createEvent({ title: 'Demo' });
        await get(`/events/${event.id}`);
        await get(`/events/${event.id}`);
        await get('/events');
        expect(sim.calls()).toEqual({ total: 3, byPath: { '/v1/events/:id': 2, '/v1/events': 1 } });
    });
});

describe('limits', () => {
    it('refuses more than requestsPerSecond in a rolling second with 429, Retry-After and RateLimit headers', async () => {
        let clock = 1_700_000_000_000;
        await start({ requestsPerSecond: 5, now: () => clock });
        for (let index = 0; index < 5; index++) {
            const ok = await get('/ping');
            expect(ok.status).toBe(200);
            expect(ok.headers.get('ratelimit-interval-remaining')).toBe(String(4 - index));
            clock += 100;
        }
        // 500 ms after the first call: the rolling second still holds five calls.
        const refused = await get('/ping');
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(refused.headers.get('ratelimit-interval-limit')).toBe('5');
        expect(refused.headers.get('ratelimit-interval-remaining')).toBe('0');
        expect(refused.headers.get('ratelimit-monthly-limit')).toBe('10000');
        expect(refused.body.errors[0].status).toBe('429');

        clock += 501; // the first call has left the window
        expect((await get('/ping')).status).toBe(200);
        expect((await get('/ping')).status).toBe(429);
    });

    it('refuses calls once the 30-day quota is spent, until the period ends', async () => {
        let clock = 1_700_000_000_000;
        await start({ quota: 3, now: () => clock });
        for (let index = 0; index < 3; index++) {
            const ok = await get('/ping');
            expect(ok.status).toBe(200);
            expect(ok.headers.get('ratelimit-monthly-remaining')).toBe(String(2 - index));
            clock += 2000;
        }
        const spent = await get('/ping');
        expect(spent.status).toBe(429);
        expect(Number(spent.headers.get('retry-after'))).toBeGreaterThan(29 * 24 * 3600);
        expect(spent.headers.get('ratelimit-monthly-remaining')).toBe('0');

        clock += 30 * 24 * 3600 * 1000;
        expect((await get('/ping')).status).toBe(200);
    });
});
