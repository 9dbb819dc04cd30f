// Shapes of the Livestorm resources the simulator serves and sends. Key sets follow the reference payloads
// (shared reference/livestorm-payloads): a webhook carries the same attributes as the REST resource.

export type LivestormWebhookEvent =
    | 'event.created'
    | 'event.published'
    | 'session.created'
    | 'session.started'
    | 'session.ended'
    | 'people.registered'
    | 'people.attended'
    | 'people.not_attended'
    | 'people.watched_replay'
    | 'job.ended';

export type ResourceType = 'events' | 'sessions' | 'people' | 'jobs';

export interface JsonApiResource<A extends object = Record<string, unknown>> {
    id: string;
    type: ResourceType;
    attributes: A;
}

export type EventSchedulingStatus =
    'live' | 'upcoming' | 'on_demand' | 'ended' | 'not_started' | 'draft' | 'cancelled' | 'not_scheduled';

export type SessionStatus =
    'upcoming' | 'live' | 'on_demand' | 'past' | 'past_not_started' | 'canceled' | 'draft';

export interface EventFormField {
    id: string;
    type: string;
    order: number;
    required: boolean;
}

export interface OwnerAttributes {
    role: 'team_member';
    created_at: number;
    updated_at: number;
    timezone: string | null;
    first_name: string;
    last_name: string;
    email: string;
    avatar_link: string | null;
}

export interface EventAttributes {
    title: string;
    slug: string;
    registration_link: string;
    estimated_duration: number;
    registration_page_enabled: boolean;
    everyone_can_speak: boolean;
    description: string | null;
    status: string;
    light_registration_page_enabled: boolean;
    recording_enabled: boolean;
    recording_public: boolean | null;
    show_in_company_page: boolean;
    chat_enabled: boolean;
    polls_enabled: boolean;
    questions_enabled: boolean;
    language: string;
    published_at: number;
    scheduling_status: EventSchedulingStatus;
    created_at: number;
    updated_at: number;
    owner: { id: string; type: 'people'; attributes: OwnerAttributes };
    sessions_count: number;
    fields: EventFormField[];
}

export interface SessionAttributes {
    event_id: string;
    status: SessionStatus;
    timezone: string;
    room_link: string;
    name: string | null;
    attendees_count: number;
    duration: number | null;
    estimated_started_at: number;
    started_at: number;
    ended_at: number;
    canceled_at: number;
    created_at: number;
    updated_at: number;
    registrants_count: number;
    breakout_room_parent_session_id: string | null;
}

export type RegistrationFieldValue = string | string[] | null;

export interface RegistrationField {
    id: string;
    type: string;
    value: RegistrationFieldValue;
    required: boolean;
    custom?: true;
}

export interface RegistrantDetail {
    event_id: string;
    session_id: string;
    created_at: number;
    updated_at: number;
    fields: RegistrationField[];
    referrer: string | null;
    utm_source: string | null;
    utm_medium: string | null;
    utm_term: string | null;
    utm_content: string | null;
    utm_campaign: string | null;
    browser_version: string | null;
    browser_name: string | null;
    os_name: string | null;
    os_version: string | null;
    screen_height: string | null;
    screen_width: string | null;
    ip_city: string | null;
    ip_country_code: string | null;
    ip_country_name: string | null;
    password_key: string;
    connection_link: string;
    attended: boolean;
    attendance_rate: number | null;
    attendance_duration: number;
    has_viewed_replay: boolean;
    registration_type: string;
    is_highlighted: boolean;
    is_guest_speaker: boolean;
    session_role: string | null;
}

export interface PersonAttributes {
    role: 'participant' | 'team_member';
    created_at: number;
    updated_at: number;
    timezone: string | null;
    first_name: string | null;
    last_name: string | null;
    email: string;
    avatar_link: string | null;
    registrant_detail: RegistrantDetail;
    messages_count: number;
    questions_count: number;
    votes_count: number;
    up_votes_count: number;
    replay_view_detail: { watched_at: number } | null;
}

export type EventResource = JsonApiResource<EventAttributes> & { type: 'events' };
export type SessionResource = JsonApiResource<SessionAttributes> & { type: 'sessions' };
export type PersonResource = JsonApiResource<PersonAttributes> & { type: 'people' };
