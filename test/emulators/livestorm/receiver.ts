// A minimal webhook endpoint for tests and the demo: records every delivery and answers with scripted statuses.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
    headers: IncomingHttpHeaders;
    body: string;
    status: number;
    receivedAtMs: number;
}

export interface WebhookReceiver {
    url: string;
    received: ReceivedDelivery[];
    /** Status for the next request; statuses queued here are used first, then `defaultStatus`. */
    respondWith(...statuses: number[]): void;
    defaultStatus: number;
    /** Highest number of requests being answered at the same time. */
    maxConcurrent(): number;
    close(): Promise<void>;
}

export async function startWebhookReceiver(options: { delayMs?: number } = {}): Promise<WebhookReceiver> {
    const received: ReceivedDelivery[] = [];
    const scripted: number[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const receiver: WebhookReceiver = {
        url: '',
        received,
        respondWith: (...statuses) => void scripted.push(...statuses),
        defaultStatus: 200,
        maxConcurrent: () => maxConcurrent,
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.close((error) => (error ? reject(error) : resolve()));
                server.closeAllConnections();
            })
    };
    const server = createServer((request, response) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
            const status = scripted.shift() ?? receiver.defaultStatus;
            const reply = (): void => {
                received.push({
                    headers: request.headers,
                    body: Buffer.concat(chunks).toString('utf8'),
                    status,
                    receivedAtMs: Date.now()
                });
                concurrent--;
                response.writeHead(status, { 'content-type': 'application/json' });
                response.end('{}');
            };
            if (options.delayMs) setTimeout(reply, options.delayMs);
            else reply();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/livestorm/test-token`;
    return receiver;
}
