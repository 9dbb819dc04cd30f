import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenProvider, SalesforceAuthError } from './auth.ts';
import { SalesforceError } from './errors.ts';

/** A token endpoint on loopback answering with `handle`; counts the token requests it receives. */
async function tokenEndpoint(handle: (request: IncomingMessage, response: ServerResponse) => void) {
    let requests = 0;
    const server = createServer((request, response) => {
        requests += 1;
        handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return {
        loginUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            })
    };
}

/** What `promise` was rejected with, or null when it resolved. */
const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
        () => null,
        (failure: unknown) => failure
    );

const clientCredentials = (loginUrl: string) =>
    ({ mode: 'client_credentials', loginUrl, clientId: 'client-id', clientSecret: 'client-secret' }) as const;

describe('token requests', () => {
    // jsforce is loaded on the first token request (a quarter of a second, more on a busy machine): not in the timings.
    beforeAll(async () => {
        await import('jsforce');
    });
    const closing: (() => Promise<void>)[] = [];
    afterEach(async () => {
        for (const close of closing.splice(0)) await close();
    });

    it('a token endpoint that does not answer fails within the request timeout, as a retryable error, and is asked again next time', async () => {
        const endpoint = await tokenEndpoint(() => {
            // never answers
        });
        closing.push(endpoint.close);
        const tokens = createTokenProvider(clientCredentials(endpoint.loginUrl), '62.0', { timeoutMs: 1000 });
        const error = await failureOf(tokens.current());
        expect(error).toBeInstanceOf(SalesforceError);
        expect(error).toMatchObject({ kind: 'transient', errorCode: 'REQUEST_TIMEOUT' });
        expect((error as Error).message).toBe(
            `The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET): Salesforce's token endpoint at ${endpoint.loginUrl} did not answer within 1 s (the listener's request timeout).`
        );
        expect(endpoint.requests()).toBe(1);
        await expect(tokens.current()).rejects.toMatchObject({ errorCode: 'REQUEST_TIMEOUT' });
        expect(endpoint.requests()).toBe(2);
    });

    it('credentials Salesforce refuses (400 and an OAuth error code) are a SalesforceAuthError', async () => {
        const endpoint = await tokenEndpoint((_, response) => {
            response.writeHead(400, { 'content-type': 'application/json' });
            response.end(
                JSON.stringify({ error: 'invalid_client', error_description: 'invalid client credentials' })
            );
        });
        closing.push(endpoint.close);
        const tokens = createTokenProvider(clientCredentials(endpoint.loginUrl), '62.0', { timeoutMs: 5000 });
        const error = await failureOf(tokens.current());
        expect(error).toBeInstanceOf(SalesforceAuthError);
        expect((error as Error).message).toBe(
            'The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET) was refused by Salesforce: invalid client credentials'
        );
    });

    it('a token endpoint answering 503 is a retryable server error, not refused credentials', async () => {
        const endpoint = await tokenEndpoint((_, response) => {
            response.writeHead(503, { 'content-type': 'text/html' });
            response.end('<html>Service Unavailable</html>');
        });
        closing.push(endpoint.close);
        const tokens = createTokenProvider(clientCredentials(endpoint.loginUrl), '62.0', { timeoutMs: 5000 });
        const error = await failureOf(tokens.current());
        expect(error).toBeInstanceOf(SalesforceError);
        expect(error).toMatchObject({ kind: 'transient', errorCode: 'SERVER_ERROR', status: 503 });
    });

    it('a token endpoint that cannot be reached is a retryable connection error, not refused credentials', async () => {
        const endpoint = await tokenEndpoint(() => {});
        await endpoint.close();
        const tokens = createTokenProvider(clientCredentials(endpoint.loginUrl), '62.0', { timeoutMs: 5000 });
        const error = await failureOf(tokens.current());
        expect(error).toBeInstanceOf(SalesforceError);
        expect(error).toMatchObject({ kind: 'transient', errorCode: 'CONNECTION_ERROR' });
        expect((error as Error).message).toContain(
            `The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET): Salesforce's token endpoint at ${endpoint.loginUrl} cannot be reached (`
        );
    });
});
