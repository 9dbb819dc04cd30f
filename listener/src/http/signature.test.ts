import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signLivestormPayload, verifyLivestormSignature } from './signature.ts';

const secret = 'livestorm-signing-secret';
const now = 1_720_000_000;

describe('verifyLivestormSignature', () => {
    it('matches the documented scheme: sha256(timestamp + secret + body) as hex', () => {
        const body = '{"data":{"id":"1"}}';
        const expected = createHash('sha256').update(`${now}${secret}${body}`).digest('hex');
        expect(signLivestormPayload(secret, body, now)).toBe(`${now},${expected}`);
        expect(
            verifyLivestormSignature({ header: `${now},${expected}`, secret, rawBody: body, now })
        ).toEqual({ ok: true });
    });

    it('accepts upper-case hex and spaces after the comma', () => {
        const body = '{"a":1}';
        const [ts, hex] = signLivestormPayload(secret, body, now).split(',');
        const header = `${ts}, ${hex?.toUpperCase()}`;
        expect(verifyLivestormSignature({ header, secret, rawBody: body, now }).ok).toBe(true);
    });

    it('accepts a signature computed over the re-serialised JSON body', () => {
        const rawBody = '{ "data": { "id": "1", "n": 1.50 } }';
        const header = signLivestormPayload(secret, JSON.stringify(JSON.parse(rawBody)), now);
        expect(verifyLivestormSignature({ header, secret, rawBody, now }).ok).toBe(true);
    });

    it('refuses a signature made with another secret', () => {
        const body = '{"a":1}';
        const result = verifyLivestormSignature({
            header: signLivestormPayload('other', body, now),
            secret,
            rawBody: body,
            now
        });
        expect(result).toEqual({ ok: false, reason: 'x-livestorm-signature does not match the body' });
    });

    it('refuses a signature of another body', () => {
        const header = signLivestormPayload(secret, '{"a":1}', now);
        expect(verifyLivestormSignature({ header, secret, rawBody: '{"a":2}', now }).ok).toBe(false);
    });

    it('refuses timestamps more than five minutes away, in either direction', () => {
        const body = '{"a":1}';
        for (const signedAt of [now - 301, now + 301]) {
            const result = verifyLivestormSignature({
                header: signLivestormPayload(secret, body, signedAt),
                secret,
                rawBody: body,
                now
            });
            expect(result.ok).toBe(false);
            expect(!result.ok && result.reason).toMatch(/timestamp/);
        }
        for (const signedAt of [now - 300, now + 300]) {
            const header = signLivestormPayload(secret, body, signedAt);
            expect(verifyLivestormSignature({ header, secret, rawBody: body, now }).ok).toBe(true);
        }
    });

    it.each([
        ['absent', undefined],
        ['empty', ''],
        ['without a comma', 'abcdef'],
        ['with a non-numeric timestamp', 'yesterday,abcdef'],
        ['with the order reversed', `abcdef,${now}`]
    ])('refuses a header that is %s', (_case, header) => {
        expect(verifyLivestormSignature({ header, secret, rawBody: '{}', now }).ok).toBe(false);
    });

    it('never puts the secret or the expected hash in the reason', () => {
        const body = '{"a":1}';
        const expected = signLivestormPayload(secret, body, now).split(',')[1] ?? '';
        const result = verifyLivestormSignature({ header: `${now},deadbeef`, secret, rawBody: body, now });
        expect(JSON.stringify(result)).not.toContain(secret);
        expect(JSON.stringify(result)).not.toContain(expected);
    });
});
