// Prometheus text exposition (format 0.0.4), written by hand: a handful of counters kept in memory by the HTTP layer
// and gauges read from the store and the engine at scrape time.
import { leaseLeftByStoppedListener } from '../store/store.ts';
import type { RunningListener, Store } from '../store/store.ts';
import { LIVESTORM_STATES, SALESFORCE_STATES } from '../sync/engine-port.ts';
import type { SyncEngine } from '../sync/engine-port.ts';

export type RejectionReason = 'token' | 'content_type' | 'too_large' | 'signature';

export interface Metrics {
    deliveriesReceived: number;
    deliveriesDuplicate: number;
    deliveriesQuarantined: number;
    storeWriteFailures: number;
    rejected: Record<RejectionReason, number>;
}

export function createMetrics(): Metrics {
    return {
        deliveriesReceived: 0,
        deliveriesDuplicate: 0,
        deliveriesQuarantined: 0,
        storeWriteFailures: 0,
        rejected: { token: 0, content_type: 0, too_large: 0, signature: 0 }
    };
}

/** Failed records are counted up to this many; the admin page lists them. */
const FAILURE_COUNT_CAP = 10_000;

function family(name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): string {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    return lines.join('\n');
}

/** A label value in the exposition format: backslash, double quote and line feed escaped. */
function labelValue(value: string): string {
    return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The metrics page. Reads the store: call it per scrape, not per request.
 * @param running this listener's INSTANCE_ID and whether its store is the embedded one (leases left by a stopped
 *   listener are not counted as written now: store.ts, leaseLeftByStoppedListener)
 */
export async function renderMetrics(
    metrics: Metrics,
    store: Store,
    engine: SyncEngine,
    running: RunningListener
): Promise<string> {
    const health = engine.health();
    const [counts, failures, leases] = await Promise.all([
        store.countDeliveries(),
        store.listFailures(FAILURE_COUNT_CAP),
        store.listSessionLeases()
    ]);
    const scrapedAt = Date.now();
    const leasesByInstance = new Map<string, number>();
    for (const lease of leases) {
        // Session leases only: `job:` rows are turns of periodic work (see REFRESH_TURN_LEASE).
        if (lease.released || lease.expiresAt <= scrapedAt || lease.sessionId.startsWith('job:')) continue;
        if (leaseLeftByStoppedListener(lease, running, scrapedAt)) continue;
        leasesByInstance.set(lease.owner, (leasesByInstance.get(lease.owner) ?? 0) + 1);
    }
    const families = [
        family(
            'livestorm_sf_deliveries_received_total',
            'counter',
            'Webhook deliveries stored (new bodies).',
            [['', metrics.deliveriesReceived]]
        ),
        family(
            'livestorm_sf_deliveries_duplicate_total',
            'counter',
            'Deliveries whose exact body was already stored.',
            [['', metrics.deliveriesDuplicate]]
        ),
        family(
            'livestorm_sf_deliveries_quarantined_total',
            'counter',
            'Deliveries stored as quarantined on receipt.',
            [['', metrics.deliveriesQuarantined]]
        ),
        family('livestorm_sf_webhook_rejected_total', 'counter', 'Webhook requests refused before storing.', [
            ['{reason="token"}', metrics.rejected.token],
            ['{reason="content_type"}', metrics.rejected.content_type],
            ['{reason="too_large"}', metrics.rejected.too_large],
            ['{reason="signature"}', metrics.rejected.signature]
        ]),
        family(
            'livestorm_sf_store_write_failures_total',
            'counter',
            'Deliveries refused with 503 because the store could not write.',
            [['', metrics.storeWriteFailures]]
        ),
        family('livestorm_sf_deliveries', 'gauge', 'Stored deliveries by state.', [
            ['{state="pending"}', counts.pending],
            ['{state="done"}', counts.done],
            ['{state="quarantined"}', counts.quarantined]
        ]),
        family('livestorm_sf_deliveries_pending', 'gauge', 'Deliveries waiting to be folded.', [
            ['', counts.pending]
        ]),
        family(
            'livestorm_sf_dirty_sessions',
            'gauge',
            'Sessions with changes not yet written to Salesforce.',
            [['', health.dirtySessions]]
        ),
        family('livestorm_sf_sync_failed_records', 'gauge', 'People whose last Salesforce write failed.', [
            ['', failures.length]
        ]),
        family(
            'livestorm_sf_salesforce_api_calls_used',
            'gauge',
            'Daily API requests used in the org (Sforce-Limit-Info).',
            [['', health.apiUsage?.used ?? 0]]
        ),
        family(
            'livestorm_sf_salesforce_api_calls_limit',
            'gauge',
            'Daily API request allocation of the org.',
            [['', health.apiUsage?.limit ?? 0]]
        ),
        family(
            'livestorm_sf_salesforce_api_usage_ratio',
            'gauge',
            'Share of the daily API allocation used.',
            [
                [
                    '',
                    health.apiUsage && health.apiUsage.limit > 0
                        ? health.apiUsage.used / health.apiUsage.limit
                        : 0
                ]
            ]
        ),
        family(
            'livestorm_sf_salesforce_state',
            'gauge',
            'Salesforce connection state (1 for the current one).',
            [
                ...SALESFORCE_STATES.map((state): [string, number] => [
                    `{state="${state}"}`,
                    health.salesforce.state === state ? 1 : 0
                ])
            ]
        ),
        family('livestorm_sf_livestorm_state', 'gauge', 'Livestorm API state (1 for the current one).', [
            ...LIVESTORM_STATES.map((state): [string, number] => [
                `{state="${state}"}`,
                health.livestorm.state === state ? 1 : 0
            ])
        ]),
        family(
            'livestorm_sf_session_leases',
            'gauge',
            'Sessions each instance is writing now (unexpired leases), over every instance on the database.',
            [...leasesByInstance]
                .sort()
                .map(([owner, n]): [string, number] => [`{instance="${labelValue(owner)}"}`, n])
        ),
        family(
            'livestorm_sf_lease_takeovers_total',
            'counter',
            'Session leases this instance took over after their owner stopped renewing them.',
            [['', health.leaseTakeovers ?? 0]]
        ),
        family('livestorm_sf_ready', 'gauge', 'The store is open and the engine runs.', [
            ['', health.ready ? 1 : 0]
        ]),
        family(
            'livestorm_sf_last_sync_timestamp_seconds',
            'gauge',
            'When Salesforce last accepted a write of a person or a Campaign (Unix seconds, kept across restarts; 0: never).',
            [['', health.lastSyncAt === null ? 0 : health.lastSyncAt / 1000]]
        )
    ];
    return families.join('\n') + '\n';
}
