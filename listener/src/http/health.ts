// DESIGN's health model as /healthz answers it: 200 whenever deliveries can be stored (a load balancer must not drop an
// instance because Salesforce is paused), 503 only while starting or when the store cannot commit.
import type { Store } from '../store/store.ts';
import type {
    HealthSide,
    LivestormState,
    SalesforceState,
    StoreState,
    SyncEngine
} from '../sync/engine-port.ts';

export interface HealthBody {
    status: 'ok' | 'degraded' | 'unavailable';
    salesforce: HealthSide<SalesforceState>;
    livestorm: HealthSide<LivestormState>;
    store: HealthSide<StoreState>;
}

/** Store setting written by the /healthz probe (a tiny commit that proves the store still writes). */
export const STORE_PROBE_SETTING = 'storeProbeAt';

export interface StoreHealth {
    side(): HealthSide<StoreState>;
    /** A write failed (a delivery could not be stored, or the probe failed). */
    failed(error: unknown): void;
    /** A write committed. */
    succeeded(): void;
    /**
     * Proves the store commits with one small write, at most once per `intervalMs` while ok (once per second while
     * failing); the result updates side().
     */
    probe(): Promise<void>;
}

/**
 * @param options.intervalMs how long a successful write vouches for the store, default 5 s
 */
export function createStoreHealth(
    store: Store,
    options: { now?: () => number; intervalMs?: number } = {}
): StoreHealth {
    const now = options.now ?? Date.now;
    const intervalMs = options.intervalMs ?? 5_000;
    let side: HealthSide<StoreState> = {
        state: 'ok',
        reason: null,
        since: new Date(now()).toISOString(),
        fix: null
    };
    let lastCheck = -Infinity;
    let probing: Promise<void> | undefined;
    const health: StoreHealth = {
        side: () => ({ ...side }),
        failed(error) {
            lastCheck = now();
            const detail = error instanceof Error ? error.message : String(error);
            side = {
                state: 'failing',
                reason: `The store cannot commit writes (${detail}): deliveries are refused with 503 and Livestorm retries them.`,
                since: side.state === 'failing' ? side.since : new Date(now()).toISOString(),
                fix: 'Check the disk space and permissions of DATA_DIR (or that the DATABASE_URL server is up and accepts writes); the listener recovers on its own once writes succeed.'
            };
        },
        succeeded() {
            lastCheck = now();
            if (side.state === 'ok') return;
            side = { state: 'ok', reason: null, since: new Date(now()).toISOString(), fix: null };
        },
        async probe() {
            const age = now() - lastCheck;
            if (age < (side.state === 'ok' ? intervalMs : 1_000)) return;
            probing ??= store
                .setSetting(STORE_PROBE_SETTING, now())
                .then(
                    () => health.succeeded(),
                    (error: unknown) => health.failed(error)
                )
                .finally(() => {
                    probing = undefined;
                });
            await probing;
        }
    };
    return health;
}

/**
 * The /healthz answer: `unavailable` (503) while the engine starts or the store cannot commit; `degraded` (200) when
 * Salesforce or the Livestorm API needs attention; `ok` (200) otherwise.
 */
export async function healthReport(
    engine: SyncEngine,
    storeHealth: StoreHealth
): Promise<{ httpStatus: 200 | 503; body: HealthBody }> {
    await storeHealth.probe();
    const health = engine.health();
    const store = storeHealth.side();
    const salesforceFine = health.salesforce.state === 'connected' || health.salesforce.state === 'dry_run';
    const livestormFine = health.livestorm.state === 'ok' || health.livestorm.state === 'not_configured';
    const unavailable = !health.ready || store.state === 'failing';
    const status = unavailable ? 'unavailable' : salesforceFine && livestormFine ? 'ok' : 'degraded';
    return {
        httpStatus: unavailable ? 503 : 200,
        body: { status, salesforce: health.salesforce, livestorm: health.livestorm, store }
    };
}
