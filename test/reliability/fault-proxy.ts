// An HTTP proxy on loopback in front of an emulator, to break the network between the listener and Salesforce or
// Livestorm: refuse connections (nothing listens on the port), hang (accept and never answer), or answer every
// request with a given status and headers. `pass` forwards requests unchanged.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode =
    | { kind: 'pass' }
    | { kind: 'refuse' }
    | { kind: 'hang' }
    | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string };

export interface FaultProxy {
    /** The proxy's origin; requests are forwarded to the target's origin with the same path. */
    url: string;
    /** Changes where requests are forwarded (an origin). */
    retarget(target: string): void;
    /** Requests that reached the proxy while not passing (faults injected). */
    faulted(): number;
    set(mode: ProxyMode): Promise<void>;
    close(): Promise<void>;
}

/**
 * @param target the emulator's origin; may be set later with retarget()
 */
export async function startFaultProxy(target = 'http://127.0.0.1:9'): Promise<FaultProxy> {
    let targetUrl = new URL(target);
    let mode: ProxyMode = { kind: 'pass' };
    let faulted = 0;
    const sockets = new Set<Socket>();
    const hanging = new Set<ServerResponse>();

    const handle = async (request: IncomingMessage, response: ServerResponse) => {
        if (mode.kind !== 'pass') faulted++;
        if (mode.kind === 'hang') {
            hanging.add(response);
            return;
        }
        if (mode.kind === 'status') {
            response.writeHead(mode.status, { 'Content-Type': 'application/json', ...mode.headers });
            response.end(mode.body ?? '[]');
            return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
            if (value === undefined || ['host', 'connection', 'content-length'].includes(name)) continue;
            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        try {
            const answer = await fetch(new URL(request.url ?? '/', targetUrl.origin), {
                method: request.method,
                headers,
                body: chunks.length ? Buffer.concat(chunks) : undefined
            });
            const body = Buffer.from(await answer.arrayBuffer());
            const out: Record<string, string> = {};
            answer.headers.forEach((value, name) => {
                if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
                    out[name] = value;
            });
            response.writeHead(answer.status, out);
            response.end(body);
        } catch {
            response.destroy();
        }
    };

    const server: Server = createServer((request, response) => void handle(request, response));
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const listening = () => server.listening;

    const stopListening = async () => {
        if (!listening()) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
    };

    return {
        url: `http://127.0.0.1:${port}`,
        retarget(next) {
            targetUrl = new URL(next);
        },
        faulted: () => faulted,
        async set(next) {
            if (mode.kind === 'hang' && next.kind !== 'hang') {
                for (const response of hanging) response.destroy();
                hanging.clear();
            }
            mode = next;
            if (next.kind === 'refuse') await stopListening();
            else if (!listening())
                await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
        },
        async close() {
            for (const response of hanging) response.destroy();
            await stopListening();
        }
    };
}
