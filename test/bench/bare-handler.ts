// The floor of webhook acknowledgement: a Hono route in its own process that reads the body and answers 202, with
// no token check, no store and no engine. Prints its URL once listening; stops on SIGTERM.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

const app = new Hono();
app.post('/webhooks/livestorm/:token', async (c) => {
    await c.req.arrayBuffer();
    return c.body(null, 202);
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
    process.stdout.write(`http://127.0.0.1:${info.port}/webhooks/livestorm/bare\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
