// The folded, desired state of a session and of each person in it, as the store keeps it. Deliveries of any order and
// multiplicity fold into the same state; the sync stage only ever writes this state, never a single delivery.

/** Livestorm attendance as the CampaignMember Status will show it. Ranked: a status never moves to a lower rank. */
export type AttendanceState = 'registered' | 'not_attended' | 'attended';

export const ATTENDANCE_RANK: Readonly<Record<AttendanceState, number>> = {
    registered: 0,
    not_attended: 1,
    attended: 2
};

export interface Engagement {
    durationSeconds: number | null;
    ratePercent: number | null;
    messages: number | null;
    questions: number | null;
    votes: number | null;
    upVotes: number | null;
}

export type RegistrationFieldValue = string | string[] | null;

export interface PersonState {
    personId: string;
    sessionId: string;
    eventId: string;
    role: string;
    /** The usable e-mail address, or null when none could be found (see emailProblem). */
    email: string | null;
    /** `updated_at` (unix seconds) of the delivery the e-mail was taken from; absent in states folded before it existed. */
    emailAt?: number;
    emailProblem: string | null;
    firstName: string | null;
    lastName: string | null;
    /** Registration form answers by field id (email, first_name, company, job_title, custom ids...). */
    fields: Record<string, RegistrationFieldValue>;
    utm: {
        source: string | null;
        medium: string | null;
        campaign: string | null;
        term: string | null;
        content: string | null;
    };
    referrer: string | null;
    joinLink: string | null;
    /** Unix seconds. */
    registeredAt: number | null;
    attendance: AttendanceState;
    engagement: Engagement;
    replayWatched: boolean;
    /** Unix seconds. */
    replayWatchedAt: number | null;
    /** Newest Livestorm `updated_at` folded in (unix seconds); older figures never overwrite newer ones. */
    updatedAt: number;
    ipCity: string | null;
    ipCountry: string | null;
}

export type SessionStatus =
    'draft' | 'upcoming' | 'live' | 'past' | 'past_not_started' | 'canceled' | 'on_demand' | string;

export interface SessionState {
    sessionId: string;
    eventId: string;
    status: SessionStatus;
    timezone: string | null;
    name: string | null;
    roomLink: string | null;
    /** Unix seconds; 0 means unset, as Livestorm sends it. */
    estimatedStartedAt: number;
    startedAt: number;
    endedAt: number;
    canceledAt: number;
    createdAt: number;
    updatedAt: number;
}
