import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import type { NewDelivery } from '../store/store.ts';
import type { HealthBody } from './health.ts';
import { signLivestormPayload } from './signature.ts';
import { createTestApp, postWebhook, registeredPayload, WEBHOOK_TOKEN } from '../../test/test-app.ts';
import { createMemoryStore } from '../../test/test-doubles.ts';

const SECRET = 'livestorm-signing-secret';

describe('POST /webhooks/livestorm/:token', () => {
    it('stores a valid delivery and acknowledges it with 202', async () => {
        const { app, store, engine } = createTestApp();
        const body = registeredPayload();
        const res = await postWebhook(app, body);
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ received: true, id: 1, duplicate: false });
        expect(store.deliveries).toEqual([
            expect.objectContaining({
                id: 1,
                event: 'people.registered',
                body,
                state: 'pending',
                error: null
            })
        ]);
        expect(engine.notified).toBe(1);
    });

    it('acknowledges only after the store has committed the delivery', async () => {
        const { app, store } = createTestApp();
        const appendDelivery = store.appendDelivery.bind(store);
        let commit: () => void = () => {};
        store.appendDelivery = (delivery: NewDelivery) =>
            new Promise((resolve) => {
                commit = () => void appendDelivery(delivery).then(resolve);
            });
        let answered = false;
        const response = postWebhook(app, registeredPayload()).then((res) => {
            answered = true;
            // The row must already be there when the acknowledgement leaves.
            expect(store.deliveries).toHaveLength(1);
            return res;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(answered).toBe(false);
        expect(store.deliveries).toHaveLength(0);
        commit();
        expect((await response).status).toBe(202);
    });

    it('answers a re-delivery of the same body with 202 duplicate:true and stores it once', async () => {
        const { app, store, metrics } = createTestApp();
        const body = registeredPayload();
        await postWebhook(app, body);
        const res = await postWebhook(app, body);
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ received: true, id: 1, duplicate: true });
        expect(store.deliveries).toHaveLength(1);
        expect(metrics.deliveriesDuplicate).toBe(1);
        expect(metrics.deliveriesReceived).toBe(1);
    });

    it.each([
        ['invalid JSON', '{not json', null, /not valid JSON/],
        [
            'an unknown event',
            JSON.stringify({
                data: {
                    id: 'x',
                    type: 'things',
                    attributes: {},
                    meta: { webhook: { event: 'thing.happened' } }
                }
            }),
            'thing.happened',
            /unknown webhook event "thing.happened"/
        ],
        [
            'a person without session id',
            registeredPayload().replace('"session_id":"0abbcb51-4a95-46d7-9879-fd141986a3a8",', ''),
            'people.registered',
            /session_id/
        ],
        [
            'an envelope without data.id',
            JSON.stringify({
                data: { type: 'people', attributes: {}, meta: { webhook: { event: 'people.registered' } } }
            }),
            // The event name is readable, so it is kept with the quarantined delivery.
            'people.registered',
            /data\.id/
        ]
    ])('quarantines %s and still answers 202', async (_case, body, event, reason) => {
        const { app, store, metrics } = createTestApp();
        const res = await postWebhook(app, body);
        expect(res.status).toBe(202);
        expect(await res.json()).toMatchObject({ received: true, duplicate: false });
        expect(store.deliveries).toHaveLength(1);
        expect(store.deliveries[0]).toMatchObject({ state: 'quarantined', event, body });
        expect(store.deliveries[0]?.error).toMatch(reason);
        expect(metrics.deliveriesQuarantined).toBe(1);
    });

    it('answers 401 to a wrong token without reading or storing anything', async () => {
        const { app, store, engine, metrics } = createTestApp();
        for (const token of ['not-the-token', WEBHOOK_TOKEN.slice(0, -1), `${WEBHOOK_TOKEN}x`]) {
            const res = await postWebhook(app, registeredPayload(), { token });
            expect(res.status).toBe(401);
        }
        expect(store.deliveries).toHaveLength(0);
        expect(engine.notified).toBe(0);
        expect(metrics.rejected.token).toBe(3);
    });

    it.each([
        ['text/plain', 'text/plain'],
        ['form data', 'application/x-www-form-urlencoded'],
        ['no Content-Type', null]
    ])('answers 415 to %s', async (_case, contentType) => {
        const { app, store } = createTestApp();
        const res = await postWebhook(app, 'hello', { contentType });
        expect(res.status).toBe(415);
        expect(store.deliveries).toHaveLength(0);
    });

    it('accepts JSON content types with parameters', async () => {
        const { app } = createTestApp();
        const res = await postWebhook(app, registeredPayload(), {
            contentType: 'application/json; charset=utf-8'
        });
        expect(res.status).toBe(202);
    });

    it('answers 413 to a body over 1 MB, declared or streamed', async () => {
        const { app, store } = createTestApp();
        const big = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
        expect((await postWebhook(app, big)).status).toBe(413);
        const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
        const stream = new ReadableStream<Uint8Array>({
            start(controller) {
                for (let i = 0; i < 20; i++) controller.enqueue(chunk);
                controller.close();
            }
        });
        const res = await app.request(`/webhooks/livestorm/${WEBHOOK_TOKEN}`, {
            method: 'POST',
            body: stream,
            headers: { 'content-type': 'application/json' },
            // Node's fetch needs half-duplex for a streamed request body.
            duplex: 'half'
        } as RequestInit);
        expect(res.status).toBe(413);
        expect(store.deliveries).toHaveLength(0);
    });

    it("judges the size the same over Node's HTTP server: declared, streamed, and the body stored as sent", async () => {
        const { app, store } = createTestApp();
        const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
        await once(server, 'listening');
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/livestorm/${WEBHOOK_TOKEN}`;
        const post = (body: string | ReadableStream<Uint8Array>) =>
            fetch(url, {
                method: 'POST',
                body,
                headers: { 'content-type': 'application/json' },
                duplex: 'half'
            } as RequestInit);
        try {
            // A string body is sent with its Content-Length; a stream is sent chunked, with none.
            const declared = await post(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
            expect(declared.status).toBe(413);
            const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
            const streamed = await post(
                new ReadableStream<Uint8Array>({
                    start(controller) {
                        for (let i = 0; i < 20; i++) controller.enqueue(chunk);
                        controller.close();
                    }
                })
            );
            expect(streamed.status).toBe(413);
            expect(store.deliveries).toHaveLength(0);
            const body = registeredPayload('person-ü', 'zoë@example.com');
            expect((await post(body)).status).toBe(202);
            const small = new TextEncoder().encode(registeredPayload('person-2', 'two@example.com'));
            const chunked = await post(
                new ReadableStream<Uint8Array>({
                    start(controller) {
                        controller.enqueue(small.subarray(0, 10));
                        controller.enqueue(small.subarray(10));
                        controller.close();
                    }
                })
            );
            expect(chunked.status).toBe(202);
            expect(store.deliveries.map((delivery) => delivery.body)).toEqual([
                body,
                new TextDecoder().decode(small)
            ]);
        } finally {
            await new Promise((resolve) => server.close(resolve));
        }
    });

    it('accepts a body just under 1 MB', async () => {
        const { app, store } = createTestApp();
        const body = JSON.stringify({ padding: 'x'.repeat(1024 * 1024 - 20) });
        expect((await postWebhook(app, body)).status).toBe(202);
        expect(store.deliveries[0]?.state).toBe('quarantined');
    });

    it('answers 503 with Retry-After when the store cannot write, and does not notify the engine', async () => {
        const { app, store, engine, metrics } = createTestApp();
        store.failWrites = new Error('SQLITE_FULL: database or disk is full');
        const res = await postWebhook(app, registeredPayload());
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('30');
        expect(engine.notified).toBe(0);
        expect(metrics.storeWriteFailures).toBe(1);
    });

    it('still acknowledges a stored delivery when the engine notification throws', async () => {
        const { app, store, engine } = createTestApp();
        engine.notify = () => {
            throw new Error('engine stopped');
        };
        expect((await postWebhook(app, registeredPayload())).status).toBe(202);
        expect(store.deliveries).toHaveLength(1);
    });

    describe('with LIVESTORM_WEBHOOK_SECRET', () => {
        const env = { LIVESTORM_WEBHOOK_SECRET: SECRET };

        it('accepts a signature over the raw body', async () => {
            const { app, store, clock } = createTestApp({ env });
            const body = registeredPayload();
            const signature = signLivestormPayload(SECRET, body, clock.now / 1000);
            const res = await postWebhook(app, body, { headers: { 'x-livestorm-signature': signature } });
            expect(res.status).toBe(202);
            expect(store.deliveries).toHaveLength(1);
        });

        it('accepts a signature over the re-serialised body', async () => {
            const { app, store, clock } = createTestApp({ env });
            const pretty = JSON.stringify(JSON.parse(registeredPayload()), null, 2);
            const signature = signLivestormPayload(
                SECRET,
                JSON.stringify(JSON.parse(pretty)),
                clock.now / 1000
            );
            const res = await postWebhook(app, pretty, { headers: { 'x-livestorm-signature': signature } });
            expect(res.status).toBe(202);
            expect(store.deliveries[0]?.body).toBe(pretty);
        });

        it.each([
            ['missing', () => undefined],
            [
                'made with another secret',
                (body: string, now: number) => signLivestormPayload('wrong', body, now)
            ],
            [
                "older than Livestorm's retry schedule (31 minutes)",
                (body: string, now: number) => signLivestormPayload(SECRET, body, now - 31 * 60)
            ],
            ['for another body', (_body: string, now: number) => signLivestormPayload(SECRET, '{}', now)]
        ])('answers 401 when the signature is %s', async (_case, sign) => {
            const { app, store, clock, metrics } = createTestApp({ env });
            const body = registeredPayload();
            const signature = sign(body, clock.now / 1000);
            const res = await postWebhook(app, body, {
                headers: signature === undefined ? {} : { 'x-livestorm-signature': signature }
            });
            expect(res.status).toBe(401);
            expect(store.deliveries).toHaveLength(0);
            expect(metrics.rejected.signature).toBe(1);
        });

        it('accepts the last retry of a delivery signed at the first attempt, 22 minutes earlier', async () => {
            const { app, store, clock } = createTestApp({ env });
            const body = registeredPayload();
            const signature = signLivestormPayload(SECRET, body, clock.now / 1000 - 22 * 60);
            const res = await postWebhook(app, body, { headers: { 'x-livestorm-signature': signature } });
            expect(res.status).toBe(202);
            expect(store.deliveries).toHaveLength(1);
        });

        it('answers a replayed signed delivery with 2xx and stores nothing new', async () => {
            const { app, store, clock } = createTestApp({ env });
            const body = registeredPayload();
            const signature = signLivestormPayload(SECRET, body, clock.now / 1000);
            const first = await postWebhook(app, body, { headers: { 'x-livestorm-signature': signature } });
            const replay = await postWebhook(app, body, { headers: { 'x-livestorm-signature': signature } });
            expect(first.status).toBe(202);
            expect(replay.status).toBe(202);
            expect(await replay.json()).toMatchObject({ duplicate: true });
            expect(store.deliveries).toHaveLength(1);
        });

        it('quarantines a correctly signed body that is not JSON', async () => {
            const { app, store, clock } = createTestApp({ env });
            const signature = signLivestormPayload(SECRET, '{oops', clock.now / 1000);
            const res = await postWebhook(app, '{oops', { headers: { 'x-livestorm-signature': signature } });
            expect(res.status).toBe(202);
            expect(store.deliveries[0]?.state).toBe('quarantined');
        });
    });
});

describe('GET /healthz', () => {
    it('answers 200 with every side once the engine is ready, even while Salesforce is retrying', async () => {
        const { app, engine } = createTestApp();
        const res = await app.request('/healthz');
        expect(res.status).toBe(200);
        const body = await res.json();
        expect(body).toEqual({
            status: 'degraded',
            salesforce: engine.state.salesforce,
            livestorm: engine.state.livestorm,
            store: { state: 'ok', reason: null, since: expect.any(String), fix: null }
        });
    });

    it('answers ok when Salesforce is connected and Livestorm fine, degraded when a side needs attention', async () => {
        const { app, engine } = createTestApp();
        engine.state = {
            ...engine.state,
            salesforce: { state: 'connected', reason: null, since: '2025-01-15T11:00:00.000Z', fix: null }
        };
        expect(await (await app.request('/healthz')).json()).toMatchObject({ status: 'ok' });
        engine.state = {
            ...engine.state,
            livestorm: {
                state: 'refused_token',
                reason: 'Livestorm refused the API token (HTTP 401).',
                since: '2025-01-15T11:30:00.000Z',
                fix: 'Set LIVESTORM_API_TOKEN.'
            }
        };
        const res = await app.request('/healthz');
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 'degraded', livestorm: { state: 'refused_token' } });
    });

    it('answers 503 before the engine is ready', async () => {
        const { app, engine } = createTestApp();
        engine.state = {
            ...engine.state,
            ready: false,
            salesforce: { state: 'connecting', reason: 'Connecting to Salesforce.', since: null, fix: null }
        };
        const res = await app.request('/healthz');
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({
            status: 'unavailable',
            salesforce: { state: 'connecting' }
        });
    });

    it('answers 503 with the store side failing when the store cannot commit, and 200 once it writes again', async () => {
        const { app, store, clock } = createTestApp();
        store.failWrites = new Error('disk I/O error');
        const originalSet = store.setSetting.bind(store);
        store.setSetting = async (key, value) => {
            if (store.failWrites) throw store.failWrites;
            return originalSet(key, value);
        };
        const res = await app.request('/healthz');
        expect(res.status).toBe(503);
        const body = (await res.json()) as HealthBody;
        expect(body.status).toBe('unavailable');
        expect(body.store).toMatchObject({ state: 'failing', since: new Date(clock.now).toISOString() });
        expect(body.store.reason).toContain('disk I/O error');
        expect(body.store.fix).toMatch(/DATA_DIR/);
        store.failWrites = null;
        clock.now += 2_000;
        const recovered = await app.request('/healthz');
        expect(recovered.status).toBe(200);
        expect(((await recovered.json()) as HealthBody).store.state).toBe('ok');
    });

    it('reports the store failing as soon as a delivery cannot be stored', async () => {
        const { app, store } = createTestApp();
        const first = await app.request('/healthz');
        expect(first.status).toBe(200);
        store.failWrites = new Error('database is locked');
        const delivery = await postWebhook(app, registeredPayload());
        expect(delivery.status).toBe(503);
        const res = await app.request('/healthz');
        expect(res.status).toBe(503);
        expect(((await res.json()) as HealthBody).store.reason).toContain('database is locked');
    });
});

describe('GET /metrics', () => {
    it('exposes delivery counters and store gauges in Prometheus text format', async () => {
        const store = createMemoryStore();
        const { app, engine } = createTestApp({ store });
        engine.state = { ...engine.state, apiUsage: { used: 120, limit: 15000 }, dirtySessions: 2 };
        const body = registeredPayload();
        await postWebhook(app, body);
        await postWebhook(app, body);
        await postWebhook(app, '{bad');
        await postWebhook(app, body, { token: 'nope-nope-nope' });
        const res = await app.request('/metrics');
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = await res.text();
        expect(text).toContain('# TYPE livestorm_sf_deliveries_received_total counter');
        expect(text).toMatch(/^livestorm_sf_deliveries_received_total 2$/m);
        expect(text).toMatch(/^livestorm_sf_deliveries_duplicate_total 1$/m);
        expect(text).toMatch(/^livestorm_sf_deliveries_quarantined_total 1$/m);
        expect(text).toMatch(/^livestorm_sf_webhook_rejected_total\{reason="token"\} 1$/m);
        expect(text).toMatch(/^livestorm_sf_deliveries_pending 1$/m);
        expect(text).toMatch(/^livestorm_sf_deliveries\{state="quarantined"\} 1$/m);
        expect(text).toMatch(/^livestorm_sf_salesforce_api_calls_used 120$/m);
        expect(text).toMatch(/^livestorm_sf_salesforce_api_calls_limit 15000$/m);
        expect(text).toMatch(/^livestorm_sf_dirty_sessions 2$/m);
        expect(text).toMatch(/^livestorm_sf_sync_failed_records 0$/m);
        expect(text).toMatch(/^livestorm_sf_salesforce_state\{state="retrying"\} 1$/m);
    });
});

describe('unknown paths', () => {
    it('answers 404 JSON', async () => {
        const { app } = createTestApp();
        const res = await app.request('/nothing-here');
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: 'not found' });
    });
});
