// Livestorm webhook signatures: `x-livestorm-signature: <unix seconds>,<hex>` where hex = sha256(timestamp + secret +
// body), a plain hash rather than an HMAC (developers.livestorm.co "Webhook security", and a production consumer).
// Livestorm sends compact JSON; the signature is checked over the exact raw body first and, because one consumer
// verifies over JSON.stringify(JSON.parse(body)), over that re-serialisation as a fallback.
import { createHash } from 'node:crypto';
import { constantTimeEqual } from './timing-safe.ts';

export const SIGNATURE_HEADER = 'x-livestorm-signature';
/** Retries of the same delivery arrive minutes apart; Stripe and Svix use the same five-minute window. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

function hash(timestamp: string, secret: string, body: string): string {
    return createHash('sha256')
        .update(timestamp + secret + body, 'utf8')
        .digest('hex');
}

/**
 * The header value Livestorm would send for this body; used by tests and the Livestorm simulator.
 * @param timestamp unix seconds
 */
export function signLivestormPayload(secret: string, body: string, timestamp: number): string {
    const ts = String(Math.floor(timestamp));
    return `${ts},${hash(ts, secret, body)}`;
}

/**
 * Verifies a delivery's signature header.
 * @param input.header the x-livestorm-signature value (undefined when absent)
 * @param input.now unix seconds
 * @returns ok, or a reason safe to log (it never contains the secret or the expected hash)
 */
export function verifyLivestormSignature(input: {
    header: string | undefined | null;
    secret: string;
    rawBody: string;
    now: number;
    toleranceSeconds?: number;
}): SignatureCheck {
    const { header, secret, rawBody, now } = input;
    const tolerance = input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
    if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
    const comma = header.indexOf(',');
    if (comma < 0) return { ok: false, reason: `${SIGNATURE_HEADER} is not "<timestamp>,<signature>"` };
    const timestamp = header.slice(0, comma).trim();
    const signature = header
        .slice(comma + 1)
        .trim()
        .toLowerCase();
    if (!/^\d{1,12}$/.test(timestamp))
        return { ok: false, reason: `${SIGNATURE_HEADER} timestamp is not unix seconds` };
    if (Math.abs(now - Number(timestamp)) > tolerance) {
        return {
            ok: false,
            reason: `${SIGNATURE_HEADER} timestamp is more than ${tolerance} s away from now`
        };
    }
    if (constantTimeEqual(hash(timestamp, secret, rawBody), signature)) return { ok: true };
    let reserialised: string | null = null;
    try {
        reserialised = JSON.stringify(JSON.parse(rawBody));
    } catch {
        // Not JSON: only the raw form could have been signed.
    }
    if (
        reserialised !== null &&
        reserialised !== rawBody &&
        constantTimeEqual(hash(timestamp, secret, reserialised), signature)
    ) {
        return { ok: true };
    }
    return { ok: false, reason: `${SIGNATURE_HEADER} does not match the body` };
}
