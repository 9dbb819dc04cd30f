import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_MAX_AGE_SECONDS, signLivestormPayload, verifyLivestormSignature } from './signature.ts';

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

    it("accepts a timestamp as old as Livestorm's whole retry schedule, and refuses older ones", () => {
        const body = '{"a":1}';
        // Retries after ~30 s, 1 min, 2 min 30, 6 min and 12 min: the last one ~22 min after the first attempt.
        const lastRetry = 30 + 60 + 150 + 360 + 720;
        for (const signedAt of [now - 301, now - lastRetry, now - 25 * 60, now - SIGNATURE_MAX_AGE_SECONDS]) {
            const header = signLivestormPayload(secret, body, signedAt);
            expect(verifyLivestormSignature({ header, secret, rawBody: body, now }).ok).toBe(true);
        }
        const result = verifyLivestormSignature({
            header: signLivestormPayload(secret, body, now - SIGNATURE_MAX_AGE_SECONDS - 1),
            secret,
            rawBody: body,
            now
        });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.reason).toMatch(/timestamp is more than 1800 s old/);
        expect(SIGNATURE_MAX_AGE_SECONDS).toBeGreaterThanOrEqual(25 * 60);
    });

    it('refuses a timestamp more than five minutes in the future', () => {
        const body = '{"a":1}';
        const ahead = signLivestormPayload(secret, body, now + 300);
        expect(verifyLivestormSignature({ header: ahead, secret, rawBody: body, now }).ok).toBe(true);
        const result = verifyLivestormSignature({
            header: signLivestormPayload(secret, body, now + 301),
            secret,
            rawBody: body,
            now
        });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.reason).toMatch(/future/);
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
