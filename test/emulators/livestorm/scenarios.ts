// Plays a whole webinar through the simulator's state and a webhook sender, in Livestorm's order of events:
// event.created → event.published → session.created → people.registered… → session.started → session.ended →
// people.attended / people.not_attended… → people.watched_replay…
import { createRandom, type Random } from './random.ts';
import type { LivestormSimulator } from './index.ts';
import type { AttendanceFigures, RegisterInput } from './state.ts';
import type { WebhookSender } from './webhooks.ts';

export type WebinarPhase = 'event' | 'published' | 'registered' | 'started' | 'ended' | 'replay';

export interface PlayWebinarOptions {
    simulator: LivestormSimulator;
    sender: WebhookSender;
    registrants: number;
    /** Addresses that already exist elsewhere (e.g. Salesforce Contacts/Leads); the first registrants use them. */
    existingEmails?: string[];
    /** Share of participants who attend the live session, default 0.6. */
    attendRate?: number;
    /** Share of non-attendees (and on-demand registrants) who watch the replay, default 0.3. */
    replayRate?: number;
    onDemand?: boolean;
    title?: string;
    seed?: number;
    /** Session start, unix seconds; default the next full hour. */
    startsAt?: number;
    unicodeNames?: boolean;
    /** Leave out last names and companies for some registrants. */
    missingFields?: boolean;
    /** Share of registrants kept under a placeholder `…@unknown.livestorm.co` address, default 0.05. */
    placeholderRate?: number;
    /** Team members (role team_member) registered besides the participants. */
    teamMembers?: number;
    /** Awaited after each phase is delivered, so a test can let the listener catch up. */
    onPhase?: (name: WebinarPhase) => Promise<void>;
}

export interface PlayedPerson {
    id: string;
    /** The address a CRM should hold: the real one, also for placeholder registrants. */
    email: string;
    /** The address Livestorm shows on the person (a placeholder for some). */
    livestormEmail: string;
    firstName: string | null;
    lastName: string | null;
    company: string | null;
    attended: boolean;
    replay: boolean;
    role: 'participant' | 'team_member';
}

export interface WebinarSummary {
    eventId: string;
    sessionId: string;
    title: string;
    onDemand: boolean;
    people: PlayedPerson[];
    /** Webhook deliveries made, by event name (duplicates included, dropped ones excluded). */
    deliveries: Record<string, number>;
}

const ASCII_FIRST = ['Jane', 'John', 'Maria', 'David', 'Sarah', 'Michael', 'Emma', 'Lucas', 'Olivia', 'Noah'];
const ASCII_LAST = [
    'Adams',
    'Smith',
    'Johnson',
    'Brown',
    'Garcia',
    'Miller',
    'Davis',
    'Martin',
    'Lee',
    'Clark'
];
const UNICODE_FIRST = [
    'Zoë',
    'François',
    'Łukasz',
    'Søren',
    'José',
    'Ænne',
    'Дмитрий',
    '美咲',
    'Ömer',
    'Chloé'
];
const UNICODE_LAST = [
    'Müller',
    'Nuñez',
    "O'Brien",
    'Dvořák',
    'Ångström',
    'Иванова',
    '佐藤',
    'Şahin',
    'Leroy-Dupré'
];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises'];
const JOB_TITLES = ['Marketing Manager', 'CTO', 'Sales Director', 'Engineer', 'Head of Growth', 'Consultant'];
const CITIES: Array<[city: string, countryCode: string, country: string]> = [
    ['Paris', 'FR', 'France'],
    ['Berlin', 'DE', 'Germany'],
    ['London', 'GB', 'United Kingdom'],
    ['New York', 'US', 'United States'],
    ['Madrid', 'ES', 'Spain'],
    ['Tokyo', 'JP', 'Japan']
];
const UTM_SOURCES = ['linkedin', 'newsletter', 'google', 'partner'];

function asciiLocalPart(value: string): string {
    const ascii = value
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '');
    return ascii || 'guest';
}

function registrantInput(random: Random, index: number, options: PlayWebinarOptions): RegisterInput {
    const unicode = options.unicodeNames === true && random.chance(0.5);
    const firstName = random.pick(unicode ? UNICODE_FIRST : ASCII_FIRST);
    const lastName = random.pick(unicode ? UNICODE_LAST : ASCII_LAST);
    const dropLastName = options.missingFields === true && random.chance(0.15);
    const dropCompany = options.missingFields === true && random.chance(0.2);
    const existing = options.existingEmails?.[index];
    const email =
        existing ?? `${asciiLocalPart(firstName)}.${asciiLocalPart(lastName)}.${index + 1}@example.com`;
    const [city, countryCode, country] = random.pick(CITIES);
    const fields: NonNullable<RegisterInput['fields']> = [];
    if (!dropCompany) fields.push({ id: 'company', value: random.pick(COMPANIES) });
    if (random.chance(0.8)) fields.push({ id: 'job_title', value: random.pick(JOB_TITLES) });
    if (random.chance(0.5))
        fields.push({ id: 'phone', value: `+33 1 ${random.int(10, 99)} ${random.int(10, 99)} 00 00` });
    if (random.chance(0.7)) fields.push({ id: 'city', value: city });
    if (random.chance(0.7)) fields.push({ id: 'country', value: country });
    if (random.chance(0.3))
        fields.push({ id: 'website', value: `https://www.${asciiLocalPart(lastName)}.example.com` });
    const withUtm = random.chance(0.4);
    return {
        firstName,
        lastName: dropLastName ? null : lastName,
        email,
        fields,
        utm: withUtm
            ? {
                  source: random.pick(UTM_SOURCES),
                  medium: random.pick(['social', 'email', 'cpc']),
                  campaign: 'webinar'
              }
            : undefined,
        referrer: withUtm ? 'https://www.linkedin.com/' : null,
        placeholderEmail: existing === undefined && random.chance(options.placeholderRate ?? 0.05),
        timezone: 'Europe/Paris',
        client: {
            browser_name: random.pick(['Chrome', 'Firefox', 'Safari', 'Edge']),
            browser_version: `${random.int(100, 130)}.0`,
            os_name: random.pick(['Mac OS', 'Windows', 'Linux']),
            ip_city: city,
            ip_country_code: countryCode,
            ip_country_name: country
        }
    };
}

function attendanceFigures(random: Random, sessionSeconds: number): AttendanceFigures {
    const durationSec = random.int(Math.floor(sessionSeconds * 0.1), sessionSeconds);
    return {
        attended: true,
        durationSec,
        rate: Math.round((durationSec / sessionSeconds) * 100),
        messages: random.int(0, 8),
        questions: random.int(0, 3),
        votes: random.int(0, 4),
        upVotes: random.int(0, 5)
    };
}

export async function playWebinar(options: PlayWebinarOptions): Promise<WebinarSummary> {
    const { simulator, sender } = options;
    const state = simulator.state;
    const random = createRandom(options.seed ?? 42);
    const organizationId = state.organizationId;
    const onDemand = options.onDemand ?? false;
    const title = options.title ?? `Product demo ${random.int(100, 999)}`;
    const deliveries: Record<string, number> = {};
    const people = new Map<string, PlayedPerson>();

    const phase = async (name: WebinarPhase): Promise<void> => {
        const outcomes = await sender.flush();
        for (const outcome of outcomes) {
            if (outcome.dropped) continue;
            deliveries[outcome.event] = (deliveries[outcome.event] ?? 0) + 1;
        }
        if (options.onPhase) await options.onPhase(name);
    };

    const event = state.createEvent({
        title,
        onDemand,
        fields: ['company', 'job_title', 'phone', 'city', 'country', 'website'].map((id) => ({ id }))
    });
    sender.enqueue('event.created', event, organizationId);
    await phase('event');

    const startsAt = options.startsAt ?? (Math.floor(state.nowSec() / 3600) + 1) * 3600;
    const published = state.publishEvent(event.id);
    const session = state.createSession(event.id, { startsAt, timezone: 'Europe/Paris' });
    sender.enqueue('event.published', published, organizationId);
    sender.enqueue('session.created', session, organizationId);
    await phase('published');

    for (let index = 0; index < options.registrants; index++) {
        const input = registrantInput(random, index, options);
        const person = state.register(session.id, input);
        const company = input.fields?.find((field) => field.id === 'company')?.value;
        people.set(person.id, {
            id: person.id,
            email: input.email.trim().toLowerCase(),
            livestormEmail: person.attributes.email,
            firstName: person.attributes.first_name,
            lastName: person.attributes.last_name,
            company: typeof company === 'string' ? company : null,
            attended: false,
            replay: false,
            role: 'participant'
        });
        sender.enqueue('people.registered', person, organizationId);
    }
    for (let index = 0; index < (options.teamMembers ?? 0); index++) {
        const email = `host${index + 1}@livestorm-team.example.com`;
        const person = state.register(session.id, {
            firstName: 'Team',
            lastName: `Member ${index + 1}`,
            email,
            role: 'team_member'
        });
        people.set(person.id, {
            id: person.id,
            email,
            livestormEmail: person.attributes.email,
            firstName: person.attributes.first_name,
            lastName: person.attributes.last_name,
            company: null,
            attended: false,
            replay: false,
            role: 'team_member'
        });
        sender.enqueue('people.registered', person, organizationId);
    }
    await phase('registered');

    // Replays are watched after the live session ends, or any time for an on-demand event.
    let replayFrom = state.nowSec();
    if (!onDemand) {
        const sessionSeconds = 3600;
        const started = state.startSession(session.id, startsAt + random.int(0, 180));
        sender.enqueue('session.started', started, organizationId);
        await phase('started');

        const attendance = new Map<string, AttendanceFigures>();
        for (const person of people.values()) {
            const attends = person.role === 'team_member' || random.chance(options.attendRate ?? 0.6);
            attendance.set(
                person.id,
                attends ? attendanceFigures(random, sessionSeconds) : { attended: false }
            );
            person.attended = attends;
        }
        const ended = state.endSession(session.id, {
            attendance,
            endedAt: started.attributes.started_at + sessionSeconds
        });
        replayFrom = ended.attributes.ended_at + 600;
        sender.enqueue('session.ended', ended, organizationId);
        for (const person of state.sessionPeople(session.id)) {
            const attended = person.attributes.registrant_detail.attended;
            sender.enqueue(attended ? 'people.attended' : 'people.not_attended', person, organizationId);
        }
        await phase('ended');
    }

    for (const person of people.values()) {
        if (person.role === 'team_member' || person.attended) continue;
        if (!random.chance(options.replayRate ?? 0.3)) continue;
        const watched = state.watchReplay(session.id, person.id, replayFrom + random.int(0, 86_400));
        person.replay = true;
        sender.enqueue('people.watched_replay', watched, organizationId);
    }
    await phase('replay');

    return {
        eventId: event.id,
        sessionId: session.id,
        title,
        onDemand,
        people: [...people.values()],
        deliveries
    };
}
