// Folds one people.* delivery into the state of that person in that session. Commutative enough that duplicates and
// any order of deliveries converge: attendance only moves up its rank, figures only grow, newer identity wins.
import type { PersonAttributes, RegistrationField } from '../livestorm/webhook-schema.ts';
import { resolveEmail } from './email.ts';
import { ATTENDANCE_RANK } from '../store/state.ts';
import type { AttendanceState, Engagement, PersonState, RegistrationFieldValue } from '../store/state.ts';

export type PersonEventName =
    'people.registered' | 'people.attended' | 'people.not_attended' | 'people.watched_replay';

function attendanceOf(event: PersonEventName, attributes: PersonAttributes): AttendanceState {
    if (event === 'people.attended' || attributes.registrant_detail.attended === true) return 'attended';
    if (event === 'people.not_attended') return 'not_attended';
    return 'registered';
}

function higher(a: AttendanceState, b: AttendanceState): AttendanceState {
    return ATTENDANCE_RANK[a] >= ATTENDANCE_RANK[b] ? a : b;
}

function maxFigure(previous: number | null, next: number | null): number | null {
    if (previous === null) return next;
    if (next === null) return previous;
    return Math.max(previous, next);
}

function fieldValue(field: RegistrationField): RegistrationFieldValue {
    const value = field.value;
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value;
    return String(value);
}

function toUnixSeconds(value: number | string | null | undefined): number | null {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number') return value > 0 ? value : null;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : Math.floor(parsed / 1000);
}

function pick<T>(newer: boolean, previous: T | null, next: T | null): T | null {
    if (next === null || next === undefined) return previous;
    if (previous === null || previous === undefined) return next;
    return newer ? next : previous;
}

/**
 * @param previous the state folded so far (undefined for the first delivery about this person in this session)
 * @param event the webhook event name
 * @param personId Livestorm people id (`data.id`)
 * @param attributes the delivery's person attributes
 */
export function foldPerson(
    previous: PersonState | undefined,
    event: PersonEventName,
    personId: string,
    attributes: PersonAttributes
): PersonState {
    const detail = attributes.registrant_detail;
    const deliveredAt = Math.max(attributes.updated_at, detail.updated_at);
    const newer = !previous || deliveredAt >= previous.updatedAt;
    const rawFields = detail.fields ?? [];
    const fields: Record<string, RegistrationFieldValue> = { ...(previous?.fields ?? {}) };
    for (const field of rawFields) {
        const value = fieldValue(field);
        if (value !== null && (newer || fields[field.id] === undefined || fields[field.id] === null))
            fields[field.id] = value;
        else if (!(field.id in fields)) fields[field.id] = value;
    }
    const fieldString = (id: string): string | null => {
        const value = fields[id];
        return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
    };

    const resolved = resolveEmail(attributes.email, rawFields);
    // The usable address of the newest delivery that had one wins: a usable address is never replaced by an unusable
    // newer one, nor by the address of an older delivery arriving late.
    const previousEmailAt = previous?.emailAt ?? previous?.updatedAt ?? 0;
    const takeResolved = resolved.email !== null && (!previous?.email || deliveredAt >= previousEmailAt);
    const email = takeResolved ? resolved.email : (previous?.email ?? null);
    const emailAt = takeResolved ? deliveredAt : previous?.email ? previousEmailAt : undefined;
    const emailProblem = email ? null : resolved.problem;

    const engagementOf = (): Engagement => ({
        durationSeconds: detail.attendance_duration,
        ratePercent: detail.attendance_rate,
        messages: attributes.messages_count,
        questions: attributes.questions_count,
        votes: attributes.votes_count,
        upVotes: attributes.up_votes_count
    });
    const next = engagementOf();
    const before = previous?.engagement;
    const engagement: Engagement = {
        durationSeconds: maxFigure(before?.durationSeconds ?? null, next.durationSeconds),
        ratePercent: maxFigure(before?.ratePercent ?? null, next.ratePercent),
        messages: maxFigure(before?.messages ?? null, next.messages),
        questions: maxFigure(before?.questions ?? null, next.questions),
        votes: maxFigure(before?.votes ?? null, next.votes),
        upVotes: maxFigure(before?.upVotes ?? null, next.upVotes)
    };

    const watched = event === 'people.watched_replay' || detail.has_viewed_replay === true;
    const watchedAt = toUnixSeconds(attributes.replay_view_detail?.watched_at ?? null);
    const registeredAt = detail.created_at > 0 ? detail.created_at : null;

    return {
        personId,
        sessionId: detail.session_id,
        eventId: detail.event_id,
        role: pick(newer, previous?.role ?? null, attributes.role ?? null) ?? 'participant',
        email,
        ...(emailAt === undefined ? {} : { emailAt }),
        emailProblem,
        firstName: pick(
            newer,
            previous?.firstName ?? null,
            attributes.first_name?.trim() || fieldString('first_name')
        ),
        lastName: pick(
            newer,
            previous?.lastName ?? null,
            attributes.last_name?.trim() || fieldString('last_name')
        ),
        fields,
        utm: {
            source: pick(newer, previous?.utm.source ?? null, detail.utm_source),
            medium: pick(newer, previous?.utm.medium ?? null, detail.utm_medium),
            campaign: pick(newer, previous?.utm.campaign ?? null, detail.utm_campaign),
            term: pick(newer, previous?.utm.term ?? null, detail.utm_term),
            content: pick(newer, previous?.utm.content ?? null, detail.utm_content)
        },
        referrer: pick(newer, previous?.referrer ?? null, detail.referrer),
        joinLink: pick(newer, previous?.joinLink ?? null, detail.connection_link),
        registeredAt:
            previous?.registeredAt && registeredAt
                ? Math.min(previous.registeredAt, registeredAt)
                : (previous?.registeredAt ?? registeredAt),
        attendance: higher(previous?.attendance ?? 'registered', attendanceOf(event, attributes)),
        engagement,
        replayWatched: (previous?.replayWatched ?? false) || watched,
        replayWatchedAt:
            watched || previous?.replayWatchedAt
                ? previous?.replayWatchedAt && watchedAt
                    ? Math.min(previous.replayWatchedAt, watchedAt)
                    : (previous?.replayWatchedAt ?? watchedAt)
                : null,
        updatedAt: Math.max(previous?.updatedAt ?? 0, deliveredAt),
        ipCity: pick(newer, previous?.ipCity ?? null, detail.ip_city),
        ipCountry: pick(newer, previous?.ipCountry ?? null, detail.ip_country_name ?? detail.ip_country_code)
    };
}
