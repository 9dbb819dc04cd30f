import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.ts';
import {
    ADMIN_TOKEN,
    createTestApp,
    postWebhook,
    registeredPayload,
    SF_ACCESS_TOKEN,
    WEBHOOK_TOKEN
} from '../test/test-app.ts';

function capture(secrets: string[] = []) {
    const lines: string[] = [];
    const logger = createLogger({
        level: 'trace',
        secrets,
        destination: { write: (line: string) => void lines.push(line) }
    });
    return { logger, lines, text: () => lines.join('') };
}

describe('redactUrl', () => {
    it('hides the webhook token segment and token query parameters', () => {
        expect(redactUrl(`/webhooks/livestorm/${WEBHOOK_TOKEN}`)).toBe('/webhooks/livestorm/[redacted]');
        expect(redactUrl(`http://h/webhooks/livestorm/${WEBHOOK_TOKEN}?a=1`)).toBe(
            'http://h/webhooks/livestorm/[redacted]?a=1'
        );
        expect(redactUrl(`/admin?token=${ADMIN_TOKEN}&x=1`)).toBe('/admin?token=[redacted]&x=1');
        expect(redactUrl('/healthz')).toBe('/healthz');
    });
});

describe('createLogger', () => {
    it('redacts secret-bearing keys at any of the first levels and in headers', () => {
        const { logger, text } = capture();
        logger.info(
            {
                token: 'top-level-token',
                config: { accessToken: 'nested-access-token', clientSecret: 'nested-client-secret' },
                deep: { salesforce: { secret: 'deep-secret' } },
                jwt: { assertion: 'signed-jwt-assertion', privateKey: '-----BEGIN PRIVATE KEY-----abc' },
                req: {
                    headers: {
                        authorization: 'Bearer header-token',
                        cookie: 'livestorm_sf_admin=cookie-value'
                    }
                }
            },
            'hello'
        );
        const out = text();
        for (const secret of [
            'top-level-token',
            'nested-access-token',
            'nested-client-secret',
            'deep-secret',
            'signed-jwt-assertion',
            'BEGIN PRIVATE KEY',
            'header-token',
            'cookie-value'
        ]) {
            expect(out).not.toContain(secret);
        }
        expect(out).toContain('[redacted]');
        expect(out).toContain('"msg":"hello"');
    });

    it('scrubs configured secret values wherever they appear, including error messages and stacks', () => {
        const { logger, text } = capture([SF_ACCESS_TOKEN, 'quote"secret\\value']);
        logger.error(
            { err: new Error(`401 from Salesforce with token ${SF_ACCESS_TOKEN}`) },
            `retrying with ${SF_ACCESS_TOKEN}`
        );
        logger.warn({ note: 'quote"secret\\value' }, 'escaped');
        const out = text();
        expect(out).not.toContain(SF_ACCESS_TOKEN);
        expect(out).not.toContain('quote\\"secret\\\\value');
        expect(out.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(3);
    });

    it('hides webhook tokens found in logged URLs', () => {
        const { logger, text } = capture();
        logger.info({ url: `https://listener.example/webhooks/livestorm/${WEBHOOK_TOKEN}` }, 'fetched');
        expect(text()).not.toContain(WEBHOOK_TOKEN);
        expect(text()).toContain('/webhooks/livestorm/[redacted]');
    });
});

describe('the app logs no secret', () => {
    it('while serving webhooks, refusals, admin calls and store failures', async () => {
        const { app, store, logLines } = createTestApp({
            env: { LIVESTORM_WEBHOOK_SECRET: 'signing-secret-xyz', LOG_LEVEL: 'trace' }
        });
        await postWebhook(app, registeredPayload(), { headers: { 'x-livestorm-signature': '1,bad' } });
        await postWebhook(app, registeredPayload(), { token: 'wrong-token-123456' });
        await app.request(`/admin?token=${ADMIN_TOKEN}`);
        await app.request('/admin/api/health', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        store.failWrites = new Error(`cannot write, token=${WEBHOOK_TOKEN}`);
        await postWebhook(app, registeredPayload());
        const out = logLines.join('');
        expect(logLines.length).toBeGreaterThan(4);
        expect(out).toContain('/webhooks/livestorm/[redacted]');
        for (const secret of [WEBHOOK_TOKEN, ADMIN_TOKEN, SF_ACCESS_TOKEN, 'signing-secret-xyz']) {
            expect(out).not.toContain(secret);
        }
    });
});
