// The durable inbox's front door: a delivery is written as received, exactly once per distinct body, and what we
// cannot use is kept too (quarantined, with the reason) so an admin can see and replay it. Nothing here calls
// Salesforce or Livestorm: this runs between the request and the acknowledgement.
import { hash } from 'node:crypto';
import { inspectWebhook } from '../livestorm/webhook-schema.ts';
import type { Store } from '../store/store.ts';

export interface StoredDelivery {
    id: number;
    /** The same body was stored before; nothing new was written. */
    duplicate: boolean;
    /** `data.meta.webhook.event` when it could be read. */
    event: string | null;
    /** Why the delivery was quarantined instead of queued, or null. */
    quarantineReason: string | null;
}

/** The SHA-256 of the body as received (UTF-8), in hex: the key an exact re-delivery is recognised by. */
export function bodyHash(body: string): string {
    return hash('sha256', body, 'hex');
}

/**
 * Stores one webhook body; resolves once it is committed durably.
 * @param receivedAt milliseconds since epoch
 * @throws whatever the store throws when it cannot write (the caller answers 503 so Livestorm retries)
 */
export async function storeDelivery(store: Store, body: string, receivedAt: number): Promise<StoredDelivery> {
    const inspected = inspectWebhook(body);
    const event = inspected.event;
    const quarantineReason = inspected.ok ? null : inspected.reason;
    const { id, duplicate } = await store.appendDelivery({
        receivedAt,
        event,
        body,
        bodyHash: bodyHash(body),
        ...(quarantineReason === null ? {} : { quarantineReason })
    });
    return { id, duplicate, event, quarantineReason };
}
