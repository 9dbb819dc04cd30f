// The simulator's in-memory Livestorm workspace: events, their sessions, and the people registered to them.
// Everything is plain data shaped like the REST resources, so the same objects feed both the API and webhooks.
import { randomUUID, randomBytes } from 'node:crypto';
import type {
    EventAttributes,
    EventFormField,
    EventResource,
    EventSchedulingStatus,
    PersonAttributes,
    PersonResource,
    RegistrantDetail,
    RegistrationField,
    RegistrationFieldValue,
    SessionAttributes,
    SessionResource,
    SessionStatus
} from './types.ts';

export interface CreateEventInput {
    title: string;
    onDemand?: boolean;
    /** Extra registration form fields, after the standard email / first_name / last_name. */
    fields?: Array<{ id: string; type?: string; required?: boolean }>;
    status?: 'draft' | 'published';
    description?: string | null;
    estimatedDurationMin?: number;
}

export interface CreateSessionInput {
    /** Unix seconds. */
    startsAt: number;
    timezone?: string;
    status?: SessionStatus;
    name?: string | null;
}

export interface RegisterInput {
    firstName?: string | null;
    lastName?: string | null;
    email: string;
    fields?: Array<{
        id: string;
        value: RegistrationFieldValue;
        type?: string;
        custom?: boolean;
        required?: boolean;
    }>;
    utm?: { source?: string; medium?: string; term?: string; content?: string; campaign?: string };
    referrer?: string | null;
    role?: 'participant' | 'team_member';
    /**
     * Livestorm keeps some registrants under a generated `…@unknown.livestorm.co` address and the real one in a
     * form field; when set, `email` goes to a `custom_email` field and the person gets a placeholder address.
     */
    placeholderEmail?: boolean;
    timezone?: string | null;
    /** Browser / IP details Livestorm records at registration. */
    client?: Partial<
        Pick<
            RegistrantDetail,
            | 'browser_name'
            | 'browser_version'
            | 'os_name'
            | 'os_version'
            | 'screen_height'
            | 'screen_width'
            | 'ip_city'
            | 'ip_country_code'
            | 'ip_country_name'
        >
    >;
}

export interface AttendanceFigures {
    attended: boolean;
    durationSec?: number;
    /** Percentage 0-100 of the session the person attended; derived from durationSec when absent. */
    rate?: number;
    messages?: number;
    questions?: number;
    votes?: number;
    upVotes?: number;
}

export interface EndSessionInput {
    attendance: Map<string, AttendanceFigures> | Record<string, AttendanceFigures>;
    /** Unix seconds; default now. */
    endedAt?: number;
}

interface EventRecord {
    id: string;
    onDemand: boolean;
    attributes: Omit<EventAttributes, 'scheduling_status' | 'sessions_count'>;
}

interface SessionRecord {
    id: string;
    attributes: Omit<SessionAttributes, 'registrants_count' | 'attendees_count'>;
}

interface PersonRecord {
    id: string;
    email: string;
    firstName: string | null;
    lastName: string | null;
    timezone: string | null;
    createdAt: number;
    updatedAt: number;
}

interface RegistrationRecord {
    personId: string;
    role: 'participant' | 'team_member';
    detail: RegistrantDetail;
    messages: number;
    questions: number;
    votes: number;
    upVotes: number;
    replayWatchedAt: number | null;
    updatedAt: number;
}

export class LivestormNotFoundError extends Error {
    resource: string;
    resourceId: string;
    constructor(resource: string, resourceId: string) {
        super(`${resource} ${resourceId} not found`);
        this.name = 'LivestormNotFoundError';
        this.resource = resource;
        this.resourceId = resourceId;
    }
}

const STANDARD_FIELD_IDS = new Set(['email', 'first_name', 'last_name', 'avatar']);
const PLACEHOLDER_DOMAIN = 'unknown.livestorm.co';

function slugify(title: string): string {
    const slug = title
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '');
    return slug || 'event';
}

export class LivestormState {
    readonly organizationId: string;
    private readonly now: () => number;
    private readonly newId: () => string;
    private readonly owner: PersonRecord;
    private readonly events = new Map<string, EventRecord>();
    private readonly sessions = new Map<string, SessionRecord>();
    private readonly people = new Map<string, PersonRecord>();
    private readonly peopleByEmail = new Map<string, string>();
    /** sessionId → personId → registration, in registration order. */
    private readonly registrations = new Map<string, Map<string, RegistrationRecord>>();

    constructor(options: { organizationId?: string; now?: () => number; newId?: () => string } = {}) {
        this.now = options.now ?? Date.now;
        this.newId = options.newId ?? randomUUID;
        this.organizationId = options.organizationId ?? this.newId();
        const createdAt = this.nowSec();
        this.owner = {
            id: this.newId(),
            email: 'host@example.com',
            firstName: 'Alex',
            lastName: 'Host',
            timezone: 'Europe/Paris',
            createdAt,
            updatedAt: createdAt
        };
    }

    /** The simulator clock in unix seconds. */
    nowSec(): number {
        return Math.floor(this.now() / 1000);
    }

    createEvent(input: CreateEventInput): EventResource {
        const id = this.newId();
        const at = this.nowSec();
        const published = input.status === 'published';
        const fields: EventFormField[] = [
            { id: 'email', type: 'text', order: 0, required: true },
            { id: 'first_name', type: 'text', order: 1, required: true },
            { id: 'last_name', type: 'text', order: 2, required: true },
            ...(input.fields ?? []).map((field, index) => ({
                id: field.id,
                type: field.type ?? 'text',
                order: 3 + index,
                required: field.required ?? false
            }))
        ];
        this.events.set(id, {
            id,
            onDemand: input.onDemand ?? false,
            attributes: {
                title: input.title,
                slug: slugify(input.title),
                registration_link: `https://app.livestorm.co/p/${id}`,
                estimated_duration: input.estimatedDurationMin ?? 60,
                registration_page_enabled: true,
                everyone_can_speak: false,
                description: input.description ?? null,
                status: published ? 'published' : 'draft',
                light_registration_page_enabled: true,
                recording_enabled: true,
                recording_public: true,
                show_in_company_page: false,
                chat_enabled: true,
                polls_enabled: true,
                questions_enabled: true,
                language: 'en',
                published_at: published ? at : 0,
                created_at: at,
                updated_at: at,
                owner: {
                    id: this.owner.id,
                    type: 'people',
                    attributes: {
                        role: 'team_member',
                        created_at: this.owner.createdAt,
                        updated_at: this.owner.updatedAt,
                        timezone: this.owner.timezone,
                        first_name: this.owner.firstName ?? '',
                        last_name: this.owner.lastName ?? '',
                        email: this.owner.email,
                        avatar_link: null
                    }
                },
                fields
            }
        });
        return this.getEvent(id);
    }

    publishEvent(eventId: string): EventResource {
        const event = this.eventRecord(eventId);
        const at = this.nowSec();
        event.attributes.status = 'published';
        event.attributes.published_at = at;
        event.attributes.updated_at = at;
        // Sessions planned while the event was a draft go live on the calendar when it is published.
        for (const session of this.sessionRecordsOf(eventId)) {
            if (session.attributes.status === 'draft') {
                session.attributes.status = event.onDemand ? 'on_demand' : 'upcoming';
                session.attributes.updated_at = at;
            }
        }
        return this.getEvent(eventId);
    }

    createSession(eventId: string, input: CreateSessionInput): SessionResource {
        const event = this.eventRecord(eventId);
        const id = this.newId();
        const at = this.nowSec();
        const defaultStatus: SessionStatus =
            event.attributes.status === 'draft' ? 'draft' : event.onDemand ? 'on_demand' : 'upcoming';
        this.sessions.set(id, {
            id,
            attributes: {
                event_id: eventId,
                status: input.status ?? defaultStatus,
                timezone: input.timezone ?? 'Europe/Paris',
                room_link: `https://app.livestorm.co/p/${eventId}/live?s=${id}`,
                name: input.name ?? null,
                duration: null,
                estimated_started_at: input.startsAt,
                started_at: 0,
                ended_at: 0,
                canceled_at: 0,
                created_at: at,
                updated_at: at,
                breakout_room_parent_session_id: null
            }
        });
        this.registrations.set(id, new Map());
        event.attributes.updated_at = at;
        return this.getSession(id);
    }

    register(sessionId: string, input: RegisterInput): PersonResource {
        const session = this.sessionRecord(sessionId);
        if (session.attributes.status === 'canceled') {
            throw new Error(`session ${sessionId} is canceled: registration closed`);
        }
        const at = this.nowSec();
        const realEmail = input.email.trim().toLowerCase();
        const email = input.placeholderEmail ? `${at}+${this.newId()}@${PLACEHOLDER_DOMAIN}` : realEmail;
        const person = this.upsertPerson(email, input, at);
        const sessionRegistrations = this.registrationsOf(sessionId);
        const existing = sessionRegistrations.get(person.id);
        if (existing) return this.personResource(sessionId, existing);

        const fields: RegistrationField[] = [];
        if (!input.placeholderEmail) fields.push({ id: 'email', type: 'text', value: email, required: true });
        if (input.firstName != null) {
            fields.push({ id: 'first_name', type: 'text', value: input.firstName, required: true });
        }
        if (input.lastName != null) {
            fields.push({ id: 'last_name', type: 'text', value: input.lastName, required: true });
        }
        for (const field of input.fields ?? []) {
            const custom = field.custom ?? !STANDARD_FIELD_IDS.has(field.id);
            fields.push({
                id: field.id,
                type: field.type ?? 'text',
                value: field.value,
                required: field.required ?? false,
                ...(custom ? { custom: true as const } : {})
            });
        }
        if (input.placeholderEmail && !fields.some((field) => field.id === 'custom_email')) {
            fields.push({ id: 'custom_email', type: 'text', value: realEmail, required: true, custom: true });
        }

        const eventId = session.attributes.event_id;
        const passwordKey = randomBytes(11).toString('hex');
        const client = input.client ?? {};
        const registration: RegistrationRecord = {
            personId: person.id,
            role: input.role ?? 'participant',
            messages: 0,
            questions: 0,
            votes: 0,
            upVotes: 0,
            replayWatchedAt: null,
            updatedAt: at,
            detail: {
                event_id: eventId,
                session_id: sessionId,
                created_at: at,
                updated_at: at,
                fields,
                referrer: input.referrer ?? null,
                utm_source: input.utm?.source ?? null,
                utm_medium: input.utm?.medium ?? null,
                utm_term: input.utm?.term ?? null,
                utm_content: input.utm?.content ?? null,
                utm_campaign: input.utm?.campaign ?? null,
                browser_version: client.browser_version ?? null,
                browser_name: client.browser_name ?? null,
                os_name: client.os_name ?? null,
                os_version: client.os_version ?? null,
                screen_height: client.screen_height ?? null,
                screen_width: client.screen_width ?? null,
                ip_city: client.ip_city ?? null,
                ip_country_code: client.ip_country_code ?? null,
                ip_country_name: client.ip_country_name ?? null,
                password_key: passwordKey,
                connection_link:
                    `https://app.livestorm.co/p/${eventId}/live?email=${encodeURIComponent(email)}` +
                    `&key=${passwordKey}&s=${sessionId}`,
                attended: false,
                attendance_rate: null,
                attendance_duration: 0,
                has_viewed_replay: false,
                registration_type: 'API',
                is_highlighted: false,
                is_guest_speaker: false,
                session_role: null
            }
        };
        sessionRegistrations.set(person.id, registration);
        session.attributes.updated_at = at;
        return this.personResource(sessionId, registration);
    }

    startSession(sessionId: string, startedAt: number = this.nowSec()): SessionResource {
        const session = this.sessionRecord(sessionId);
        session.attributes.status = 'live';
        session.attributes.started_at = startedAt;
        session.attributes.updated_at = this.nowSec();
        return this.getSession(sessionId);
    }

    endSession(sessionId: string, input: EndSessionInput): SessionResource {
        const session = this.sessionRecord(sessionId);
        const endedAt = input.endedAt ?? this.nowSec();
        const startedAt = session.attributes.started_at;
        const duration = startedAt > 0 ? Math.max(0, endedAt - startedAt) : null;
        session.attributes.status = startedAt > 0 ? 'past' : 'past_not_started';
        session.attributes.ended_at = endedAt;
        session.attributes.duration = duration;
        session.attributes.updated_at = this.nowSec();
        const attendance =
            input.attendance instanceof Map ? input.attendance : new Map(Object.entries(input.attendance));
        for (const registration of this.registrationsOf(sessionId).values()) {
            const figures = attendance.get(registration.personId);
            const detail = registration.detail;
            if (figures?.attended && startedAt > 0) {
                const attendedSec = Math.max(0, Math.round(figures.durationSec ?? duration ?? 0));
                detail.attended = true;
                detail.attendance_duration = attendedSec;
                detail.attendance_rate =
                    figures.rate ??
                    (duration ? Math.min(100, Math.round((attendedSec / duration) * 10000) / 100) : 0);
                registration.messages = figures.messages ?? 0;
                registration.questions = figures.questions ?? 0;
                registration.votes = figures.votes ?? 0;
                registration.upVotes = figures.upVotes ?? 0;
            } else {
                detail.attended = false;
                detail.attendance_duration = 0;
                detail.attendance_rate = null;
            }
            this.touch(registration, endedAt);
        }
        return this.getSession(sessionId);
    }

    watchReplay(sessionId: string, personId: string, watchedAt: number = this.nowSec()): PersonResource {
        const registration = this.registrationRecord(sessionId, personId);
        registration.detail.has_viewed_replay = true;
        registration.replayWatchedAt = watchedAt;
        this.touch(registration, watchedAt);
        return this.personResource(sessionId, registration);
    }

    cancelSession(sessionId: string): SessionResource {
        const session = this.sessionRecord(sessionId);
        const at = this.nowSec();
        session.attributes.status = 'canceled';
        session.attributes.canceled_at = at;
        session.attributes.updated_at = at;
        return this.getSession(sessionId);
    }

    reschedule(sessionId: string, startsAt: number): SessionResource {
        const session = this.sessionRecord(sessionId);
        session.attributes.estimated_started_at = startsAt;
        session.attributes.updated_at = this.nowSec();
        return this.getSession(sessionId);
    }

    getEvent(eventId: string): EventResource {
        const event = this.eventRecord(eventId);
        const sessions = this.sessionRecordsOf(eventId);
        return structuredClone({
            id: event.id,
            type: 'events',
            attributes: {
                ...event.attributes,
                scheduling_status: this.schedulingStatus(event, sessions),
                sessions_count: sessions.length
            }
        });
    }

    getSession(sessionId: string): SessionResource {
        const session = this.sessionRecord(sessionId);
        const registrations = [...this.registrationsOf(sessionId).values()];
        const { event_id, status, timezone, room_link, name, duration, ...times } = session.attributes;
        // Key order follows Livestorm's session resource.
        return structuredClone({
            id: session.id,
            type: 'sessions',
            attributes: {
                event_id,
                status,
                timezone,
                room_link,
                name,
                attendees_count: registrations.filter((registration) => registration.detail.attended).length,
                duration,
                estimated_started_at: times.estimated_started_at,
                started_at: times.started_at,
                ended_at: times.ended_at,
                canceled_at: times.canceled_at,
                created_at: times.created_at,
                updated_at: times.updated_at,
                registrants_count: registrations.length,
                breakout_room_parent_session_id: times.breakout_room_parent_session_id
            }
        });
    }

    /** The person as registered to a session; without a session, their most recent registration. */
    getPerson(personId: string, sessionId?: string): PersonResource {
        if (sessionId !== undefined)
            return this.personResource(sessionId, this.registrationRecord(sessionId, personId));
        let latest: { sessionId: string; registration: RegistrationRecord } | undefined;
        for (const [candidateSessionId, registrations] of this.registrations) {
            const registration = registrations.get(personId);
            if (
                registration &&
                (!latest || registration.detail.created_at >= latest.registration.detail.created_at)
            ) {
                latest = { sessionId: candidateSessionId, registration };
            }
        }
        if (!latest) throw new LivestormNotFoundError('people', personId);
        return this.personResource(latest.sessionId, latest.registration);
    }

    hasEvent(eventId: string): boolean {
        return this.events.has(eventId);
    }

    hasSession(sessionId: string): boolean {
        return this.sessions.has(sessionId);
    }

    listEvents(): EventResource[] {
        return [...this.events.keys()].map((id) => this.getEvent(id));
    }

    listSessions(eventId?: string): SessionResource[] {
        const ids =
            eventId === undefined
                ? [...this.sessions.keys()]
                : this.sessionRecordsOf(eventId).map((session) => session.id);
        return ids.map((id) => this.getSession(id));
    }

    /** Everyone registered to a session, in registration order. */
    sessionPeople(sessionId: string): PersonResource[] {
        this.sessionRecord(sessionId);
        return [...this.registrationsOf(sessionId).values()].map((registration) =>
            this.personResource(sessionId, registration)
        );
    }

    private upsertPerson(email: string, input: RegisterInput, at: number): PersonRecord {
        const knownId = this.peopleByEmail.get(email);
        const known = knownId === undefined ? undefined : this.people.get(knownId);
        if (known) {
            if (input.firstName != null) known.firstName = input.firstName;
            if (input.lastName != null) known.lastName = input.lastName;
            known.updatedAt = at;
            return known;
        }
        const person: PersonRecord = {
            id: this.newId(),
            email,
            firstName: input.firstName ?? null,
            lastName: input.lastName ?? null,
            timezone: input.timezone ?? null,
            createdAt: at,
            updatedAt: at
        };
        this.people.set(person.id, person);
        this.peopleByEmail.set(email, person.id);
        return person;
    }

    private touch(registration: RegistrationRecord, at: number): void {
        registration.updatedAt = Math.max(registration.updatedAt, at);
        registration.detail.updated_at = registration.updatedAt;
    }

    private personResource(sessionId: string, registration: RegistrationRecord): PersonResource {
        const person = this.people.get(registration.personId);
        if (!person) throw new LivestormNotFoundError('people', registration.personId);
        const attributes: PersonAttributes = {
            role: registration.role,
            created_at: person.createdAt,
            updated_at: Math.max(person.updatedAt, registration.updatedAt),
            timezone: person.timezone,
            first_name: person.firstName,
            last_name: person.lastName,
            email: person.email,
            avatar_link: null,
            registrant_detail: { ...registration.detail, session_id: sessionId },
            messages_count: registration.messages,
            questions_count: registration.questions,
            votes_count: registration.votes,
            up_votes_count: registration.upVotes,
            replay_view_detail:
                registration.replayWatchedAt === null ? null : { watched_at: registration.replayWatchedAt }
        };
        return structuredClone({ id: person.id, type: 'people', attributes });
    }

    private schedulingStatus(event: EventRecord, sessions: SessionRecord[]): EventSchedulingStatus {
        if (event.attributes.status === 'draft') return 'draft';
        if (event.onDemand) return 'on_demand';
        const statuses = new Set(sessions.map((session) => session.attributes.status));
        if (statuses.has('live')) return 'live';
        if (statuses.has('upcoming')) return 'upcoming';
        if (statuses.size === 0) return 'not_scheduled';
        if (statuses.has('past')) return 'ended';
        if (statuses.has('past_not_started')) return 'not_started';
        return 'cancelled';
    }

    private eventRecord(eventId: string): EventRecord {
        const event = this.events.get(eventId);
        if (!event) throw new LivestormNotFoundError('events', eventId);
        return event;
    }

    private sessionRecord(sessionId: string): SessionRecord {
        const session = this.sessions.get(sessionId);
        if (!session) throw new LivestormNotFoundError('sessions', sessionId);
        return session;
    }

    private sessionRecordsOf(eventId: string): SessionRecord[] {
        return [...this.sessions.values()].filter((session) => session.attributes.event_id === eventId);
    }

    private registrationsOf(sessionId: string): Map<string, RegistrationRecord> {
        let registrations = this.registrations.get(sessionId);
        if (!registrations) {
            registrations = new Map();
            this.registrations.set(sessionId, registrations);
        }
        return registrations;
    }

    private registrationRecord(sessionId: string, personId: string): RegistrationRecord {
        this.sessionRecord(sessionId);
        const registration = this.registrationsOf(sessionId).get(personId);
        if (!registration) throw new LivestormNotFoundError('people', personId);
        return registration;
    }
}
