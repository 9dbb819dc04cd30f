// The past-session rule of the seed ("never for sessions already in the past", unless a backfill asks): which session
// is set aside instead of synced, judged on its end — never its creation — once its known deliveries are folded.
import type { SessionState } from '../store/state.ts';

export const PAST_STATUSES: ReadonlySet<string> = new Set(['past', 'past_not_started', 'canceled']);

/** The setting (one per event) holding when the listener saw the event enabled, in ms since epoch. */
export const EVENT_ENABLED_AT_SETTING_PREFIX = 'eventEnabledAt:';

/**
 * When a session was over, unix seconds, or null while unknown: its end, else its cancellation, else (never started)
 * its scheduled start.
 */
export function sessionOverAt(session: SessionState): number | null {
    if (session.endedAt > 0) return session.endedAt;
    if (session.status === 'canceled' && session.canceledAt > 0) return session.canceledAt;
    if (session.status === 'past_not_started' && session.estimatedStartedAt > 0)
        return session.estimatedStartedAt;
    return null;
}

function utc(ms: number): string {
    return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Why a session is set aside rather than synced, in an admin's words, or null when it is synced: only a session that
 * is over (past, never started, or canceled) and was over before syncing began for its event — the listener's first
 * start, or the moment the event was enabled when that came later. A session whose end is not known yet is synced.
 * @param syncingSince ms since epoch: the first start, or the later enabling of the event
 * @param enabledLater true when syncingSince is the event's enabling rather than the first start
 */
export function setAsideReason(
    session: SessionState,
    syncingSince: number,
    enabledLater: boolean
): string | null {
    if (!PAST_STATUSES.has(session.status)) return null;
    const over = sessionOverAt(session);
    // Livestorm gives seconds: a session over within the second syncing began counts as over after it.
    if (over === null || over >= Math.floor(syncingSince / 1000)) return null;
    const what = session.status === 'canceled' ? 'was canceled' : 'ended';
    const since = enabledLater
        ? `its event was enabled (${utc(syncingSince)})`
        : `the listener was first started (${utc(syncingSince)})`;
    return `This session ${what} on ${utc(over * 1000)}, before ${since}: it is not synced. Run \`npx livestorm-sf backfill\` to sync it.`;
}
