// Folds session.* deliveries (and session resources read from the API) into one session state. Sessions carry no
// title: that lives on the event. Lifecycle only moves forward, except for what Livestorm itself reports on refresh.
import type { SessionAttributes } from '../livestorm/webhook-schema.ts';
import type { SessionState } from '../store/state.ts';

const LIFECYCLE_RANK: Record<string, number> = {
    draft: 0,
    upcoming: 1,
    on_demand: 1,
    live: 2,
    past: 3,
    past_not_started: 3,
    canceled: 4
};

function rank(status: string): number {
    return LIFECYCLE_RANK[status] ?? 1;
}

export type SessionSource = 'session.created' | 'session.started' | 'session.ended' | 'api';

/** An empty session known only from a registration (its details come later, from a webhook or the API). */
export function placeholderSession(sessionId: string, eventId: string): SessionState {
    return {
        sessionId,
        eventId,
        status: 'upcoming',
        timezone: null,
        name: null,
        roomLink: null,
        estimatedStartedAt: 0,
        startedAt: 0,
        endedAt: 0,
        canceledAt: 0,
        createdAt: 0,
        updatedAt: 0
    };
}

/** True when nothing but a registration told us about this session. */
export function isPlaceholderSession(state: SessionState): boolean {
    return state.createdAt === 0 && state.estimatedStartedAt === 0 && state.startedAt === 0;
}

/**
 * @param source `api` marks a fresh read of Livestorm's own view: it may move the status back (a reschedule of a
 * session that looked past_not_started) and always wins for the schedule.
 */
export function foldSession(
    previous: SessionState | undefined,
    source: SessionSource,
    sessionId: string,
    attributes: SessionAttributes
): SessionState {
    let status = attributes.status;
    if (source === 'session.started' && rank(status) < rank('live')) status = 'live';
    if (source === 'session.ended' && rank(status) < rank('past')) status = 'past';
    if (attributes.canceled_at > 0) status = 'canceled';
    const base = previous ?? placeholderSession(sessionId, attributes.event_id);
    const authoritative = source === 'api' || !previous || attributes.updated_at >= previous.updatedAt;
    const nextStatus = source === 'api' ? status : rank(status) >= rank(base.status) ? status : base.status;
    const nonZero = (next: number, before: number) => (next > 0 ? next : before);
    return {
        sessionId,
        eventId: attributes.event_id || base.eventId,
        status: nextStatus,
        timezone: attributes.timezone ?? base.timezone,
        name: authoritative ? (attributes.name ?? base.name) : (base.name ?? attributes.name),
        roomLink: attributes.room_link ?? base.roomLink,
        estimatedStartedAt:
            authoritative || base.estimatedStartedAt === 0
                ? nonZero(attributes.estimated_started_at, base.estimatedStartedAt)
                : base.estimatedStartedAt,
        startedAt: nonZero(attributes.started_at, base.startedAt),
        endedAt: nonZero(attributes.ended_at, base.endedAt),
        canceledAt: nonZero(attributes.canceled_at, base.canceledAt),
        createdAt:
            nonZero(attributes.created_at, base.createdAt) || base.createdAt || Math.floor(Date.now() / 1000),
        updatedAt: Math.max(base.updatedAt, attributes.updated_at)
    };
}
