// Livestorm webhook signatures: `x-livestorm-signature: <unix seconds>,<hex>` where hex = sha256(timestamp + secret +
// body), a plain hash rather than an HMAC (developers.livestorm.co "Webhook security", and a production consumer).
// Livestorm sends compact JSON; the signature is checked over the exact raw body first and, because one consumer
// verifies over JSON.stringify(JSON.parse(body)), over that re-serialisation as a fallback.
import { createHash } from 'node:crypto';
import { constantTimeEqual } from './timing-safe.ts';

export const SIGNATURE_HEADER = 'x-livestorm-signature';
/**
 * How old a signed timestamp may be. Livestorm retries a failed delivery 5 times, after ~30 s, 1 min, 2 min 30,
 * 6 min and 12 min (developers.livestorm.co/docs/webhooks-1, "Auto-retry process"): the last retry comes ~22 min
 * after the first attempt. Whether a retry is signed again with a new timestamp is not documented, and refusing one
 * counts as one more failed delivery (after the last, Livestorm disables the subscription), so the window covers
 * the whole schedule with margin. A replay inside it gets a 2xx and changes nothing: identical bodies are stored
 * once (see inbox/receive.ts).
 */
export const SIGNATURE_MAX_AGE_SECONDS = 30 * 60;
/** How far in the future a timestamp may be: clock skew between Livestorm and this host (Stripe and Svix: 5 min). */
export const SIGNATURE_MAX_FUTURE_SECONDS = 5 * 60;

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
 * Verifies a delivery's signature header: the hash over the raw body (or its compact re-serialisation), compared in
 * constant time, and a timestamp at most SIGNATURE_MAX_AGE_SECONDS old and SIGNATURE_MAX_FUTURE_SECONDS ahead.
 * @param input.header the x-livestorm-signature value (undefined when absent)
 * @param input.now unix seconds
 * @returns ok, or a reason safe to log (it never contains the secret or the expected hash)
 */
export function verifyLivestormSignature(input: {
    header: string | undefined | null;
    secret: string;
    rawBody: string;
    now: number;
    /** Default SIGNATURE_MAX_AGE_SECONDS. */
    maxAgeSeconds?: number;
    /** Default SIGNATURE_MAX_FUTURE_SECONDS. */
    maxFutureSeconds?: number;
}): SignatureCheck {
    const { header, secret, rawBody, now } = input;
    const maxAge = input.maxAgeSeconds ?? SIGNATURE_MAX_AGE_SECONDS;
    const maxFuture = input.maxFutureSeconds ?? SIGNATURE_MAX_FUTURE_SECONDS;
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
    const age = now - Number(timestamp);
    if (age > maxAge) {
        return {
            ok: false,
            reason: `${SIGNATURE_HEADER} timestamp is more than ${maxAge} s old (older than Livestorm's retry schedule)`
        };
    }
    if (-age > maxFuture) {
        return {
            ok: false,
            reason: `${SIGNATURE_HEADER} timestamp is more than ${maxFuture} s in the future (check this host's clock)`
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
