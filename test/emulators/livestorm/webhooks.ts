// Livestorm's webhook delivery as documented (reference livestorm.md, Q3): a POST of a JSON:API single-resource
// document, optionally signed `x-livestorm-signature: <ts>,<hex sha256(ts + secret + body)>`; any non-2xx answer
// or network error is retried after ~30 s, 1 min, 2.5 min, 6 min and 12 min, and a delivery that still fails
// then disables the subscription. Order and uniqueness are not guaranteed, so batches can be reordered and
// duplicated on purpose.
import { createHash } from 'node:crypto';
import { createRandom } from './random.ts';
import type { JsonApiResource, LivestormWebhookEvent } from './types.ts';

export const LIVESTORM_RETRY_DELAYS_MS: readonly number[] = [30_000, 60_000, 150_000, 360_000, 720_000];

export interface WebhookSenderOptions {
    /** The listener's full webhook URL. */
    url: string;
    /** When set, every attempt carries `x-livestorm-signature`. */
    secret?: string;
    /** Waits before each retry; default Livestorm's schedule. Its length is the number of retries. */
    retryDelaysMs?: number[];
    /** 0..1: chance a batched delivery is sent a second time. */
    duplicateRate?: number;
    /** Batched deliveries are shuffled within consecutive windows of this many (0 = in order). */
    reorderWindow?: number;
    /** Deliveries in flight at once, default 8. */
    concurrency?: number;
    seed?: number;
    fetch?: typeof fetch;
    /** Per-attempt timeout; a timeout counts as a failed attempt. Default 10 s. */
    timeoutMs?: number;
    /** Clock for signature timestamps (ms), default Date.now. */
    now?: () => number;
}

export interface DeliveryAttempt {
    /** HTTP status, or null when the request failed at the network level or timed out. */
    status: number | null;
    error?: string;
    latencyMs: number;
}

export interface DeliveryOutcome {
    event: LivestormWebhookEvent;
    resourceId: string;
    /** True when an attempt got a 2xx. */
    delivered: boolean;
    /** True when the subscription was already disabled and nothing was sent. */
    dropped: boolean;
    /** True for the extra copy of an at-least-once duplicate. */
    duplicate: boolean;
    attempts: DeliveryAttempt[];
    body: string;
}

export interface WebhookSenderStats {
    /** Deliveries acknowledged with a 2xx (duplicates included). */
    sent: number;
    /** HTTP requests made. */
    attempts: number;
    /** Attempts answered with a non-2xx, a network error or a timeout. */
    failures: number;
    /** Extra copies sent because of duplicateRate. */
    duplicates: number;
    /** Deliveries not even attempted, or whose retries stopped, because the subscription was disabled. */
    dropped: number;
    /** Deliveries that failed all 1 + retries attempts. */
    abandoned: number;
    disabled: boolean;
    /** Response time of each attempt. */
    latenciesMs: number[];
}

export interface WebhookSender {
    deliver(
        eventName: LivestormWebhookEvent,
        resource: JsonApiResource<object>,
        organizationId?: string
    ): Promise<DeliveryOutcome>;
    /** Queues a delivery for the next flush; the body is built now, so it captures the resource as it is. */
    enqueue(
        eventName: LivestormWebhookEvent,
        resource: JsonApiResource<object>,
        organizationId?: string
    ): void;
    /** Sends the queue, with duplicates, reordering and concurrency applied; resolves when all are settled. */
    flush(): Promise<DeliveryOutcome[]>;
    stats(): WebhookSenderStats;
    /** Every outcome so far, in completion order. */
    outcomes(): DeliveryOutcome[];
    readonly disabled: boolean;
}

const DEFAULT_ORGANIZATION_ID = '7dd9eceb-0c1c-4372-82f5-d2c76eccf8e1';

/** The exact envelope Livestorm posts: the resource, with `meta.webhook` inside `data`. */
export function webhookBody(
    eventName: LivestormWebhookEvent,
    resource: JsonApiResource<object>,
    organizationId: string = DEFAULT_ORGANIZATION_ID
): string {
    return JSON.stringify({
        data: {
            id: resource.id,
            type: resource.type,
            attributes: resource.attributes,
            meta: { webhook: { event: eventName, organization_id: organizationId } }
        }
    });
}

/** The `x-livestorm-signature` header value: `<ts>,<hex sha256(ts + secret + body)>`. */
export function signLivestormBody(body: string, secret: string, timestampSec: number): string {
    const digest = createHash('sha256').update(`${timestampSec}${secret}${body}`).digest('hex');
    return `${timestampSec},${digest}`;
}

interface Pending {
    event: LivestormWebhookEvent;
    resourceId: string;
    body: string;
    duplicate: boolean;
}

function sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
    const retryDelays = options.retryDelaysMs ?? [...LIVESTORM_RETRY_DELAYS_MS];
    const duplicateRate = options.duplicateRate ?? 0;
    const reorderWindow = options.reorderWindow ?? 0;
    const concurrency = Math.max(1, options.concurrency ?? 8);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const doFetch = options.fetch ?? fetch;
    const now = options.now ?? Date.now;
    const random = createRandom(options.seed ?? 1);

    const counters = { sent: 0, attempts: 0, failures: 0, duplicates: 0, dropped: 0, abandoned: 0 };
    const latencies: number[] = [];
    const completed: DeliveryOutcome[] = [];
    let queue: Pending[] = [];
    let disabled = false;

    // A slot is held only while a request is in flight, never while waiting for a retry, as Livestorm's
    // engine does not stall other deliveries behind one that is being retried.
    let inFlight = 0;
    const waiting: Array<() => void> = [];
    async function acquire(): Promise<void> {
        if (inFlight < concurrency) {
            inFlight++;
            return;
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
    }
    function release(): void {
        const next = waiting.shift();
        if (next) next();
        else inFlight--;
    }

    async function attempt(body: string): Promise<DeliveryAttempt> {
        const headers: Record<string, string> = {
            'content-type': 'application/json',
            'user-agent': 'Livestorm-Webhooks-Simulator'
        };
        // Each attempt is signed afresh, so a retry carries a current timestamp.
        if (options.secret !== undefined) {
            headers['x-livestorm-signature'] = signLivestormBody(
                body,
                options.secret,
                Math.floor(now() / 1000)
            );
        }
        const started = performance.now();
        try {
            const response = await doFetch(options.url, {
                method: 'POST',
                headers,
                body,
                signal: AbortSignal.timeout(timeoutMs)
            });
            await response.arrayBuffer().catch(() => undefined);
            return { status: response.status, latencyMs: performance.now() - started };
        } catch (error) {
            return {
                status: null,
                error: error instanceof Error ? error.message : String(error),
                latencyMs: performance.now() - started
            };
        }
    }

    async function run(pending: Pending): Promise<DeliveryOutcome> {
        const outcome: DeliveryOutcome = {
            event: pending.event,
            resourceId: pending.resourceId,
            delivered: false,
            dropped: false,
            duplicate: pending.duplicate,
            attempts: [],
            body: pending.body
        };
        for (let index = 0; index <= retryDelays.length; index++) {
            if (index > 0) await sleep(retryDelays[index - 1] ?? 0);
            if (disabled) {
                outcome.dropped = true;
                counters.dropped++;
                break;
            }
            await acquire();
            let result: DeliveryAttempt;
            try {
                result = await attempt(pending.body);
            } finally {
                release();
            }
            outcome.attempts.push(result);
            counters.attempts++;
            latencies.push(result.latencyMs);
            if (result.status !== null && result.status >= 200 && result.status < 300) {
                outcome.delivered = true;
                counters.sent++;
                if (pending.duplicate) counters.duplicates++;
                break;
            }
            counters.failures++;
            if (index === retryDelays.length) {
                counters.abandoned++;
                disabled = true;
            }
        }
        completed.push(outcome);
        return outcome;
    }

    function pendingOf(
        eventName: LivestormWebhookEvent,
        resource: JsonApiResource<object>,
        organizationId: string | undefined,
        duplicate = false
    ): Pending {
        return {
            event: eventName,
            resourceId: resource.id,
            body: webhookBody(eventName, resource, organizationId),
            duplicate
        };
    }

    return {
        deliver: (eventName, resource, organizationId) => run(pendingOf(eventName, resource, organizationId)),
        enqueue(eventName, resource, organizationId) {
            queue.push(pendingOf(eventName, resource, organizationId));
        },
        async flush() {
            const batch: Pending[] = [];
            for (const pending of queue) batch.push(pending);
            queue = [];
            // At-least-once: a copy lands somewhere after its original, like a redelivery would.
            for (let index = 0; index < batch.length; index++) {
                const pending = batch[index] as Pending;
                if (pending.duplicate || !random.chance(duplicateRate)) continue;
                const position = random.int(index + 1, batch.length);
                batch.splice(position, 0, { ...pending, duplicate: true });
            }
            if (reorderWindow > 1) {
                for (let start = 0; start < batch.length; start += reorderWindow) {
                    const window = random.shuffle(batch.slice(start, start + reorderWindow));
                    batch.splice(start, window.length, ...window);
                }
            }
            return Promise.all(batch.map((pending) => run(pending)));
        },
        stats: () => ({ ...counters, disabled, latenciesMs: [...latencies] }),
        outcomes: () => [...completed],
        get disabled() {
            return disabled;
        }
    };
}
