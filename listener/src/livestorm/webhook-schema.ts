// The Livestorm webhook envelope: a JSON:API single-resource document whose `data.meta.webhook.event` names the
// event. Attributes are the same as the REST API resource. Parsing is lenient on extra keys (Livestorm adds fields
// over time) and strict on the ids we route by.
import { z } from 'zod';

export const WEBHOOK_EVENTS = [
    'event.created',
    'event.published',
    'session.created',
    'session.started',
    'session.ended',
    'people.registered',
    'people.attended',
    'people.not_attended',
    'people.watched_replay',
    'job.ended'
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

const unixSeconds = z
    .number()
    .nullish()
    .transform((value) => value ?? 0);
const nullableString = z
    .string()
    .nullish()
    .transform((value) => value ?? null);
const nullableCount = z
    .union([z.number(), z.string()])
    .nullish()
    .transform((value) => {
        if (value === null || value === undefined || value === '') return null;
        const parsed = Number(value);
        return Number.isFinite(parsed) ? parsed : null;
    });

export const registrationFieldSchema = z.object({
    id: z.string(),
    type: z.string().nullish(),
    value: z.union([z.string(), z.array(z.string()), z.number(), z.boolean()]).nullish(),
    required: z.boolean().nullish(),
    custom: z.boolean().nullish()
});
export type RegistrationField = z.infer<typeof registrationFieldSchema>;

export const personAttributesSchema = z.object({
    role: z.string().nullish(),
    created_at: unixSeconds,
    updated_at: unixSeconds,
    timezone: nullableString,
    first_name: nullableString,
    last_name: nullableString,
    email: nullableString,
    registrant_detail: z.object({
        event_id: z.string().min(1),
        session_id: z.string().min(1),
        created_at: unixSeconds,
        updated_at: unixSeconds,
        fields: z.array(registrationFieldSchema).nullish(),
        referrer: nullableString,
        utm_source: nullableString,
        utm_medium: nullableString,
        utm_term: nullableString,
        utm_content: nullableString,
        utm_campaign: nullableString,
        ip_city: nullableString,
        ip_country_code: nullableString,
        ip_country_name: nullableString,
        connection_link: nullableString,
        attended: z.boolean().nullish(),
        attendance_rate: nullableCount,
        attendance_duration: nullableCount,
        has_viewed_replay: z.boolean().nullish()
    }),
    messages_count: nullableCount,
    questions_count: nullableCount,
    votes_count: nullableCount,
    up_votes_count: nullableCount,
    replay_view_detail: z
        .object({ watched_at: z.union([z.number(), z.string()]).nullish() })
        .passthrough()
        .nullish()
});
export type PersonAttributes = z.infer<typeof personAttributesSchema>;

export const sessionAttributesSchema = z.object({
    event_id: z.string().min(1),
    status: z
        .string()
        .nullish()
        .transform((value) => value ?? 'upcoming'),
    timezone: nullableString,
    room_link: nullableString,
    name: nullableString,
    estimated_started_at: unixSeconds,
    started_at: unixSeconds,
    ended_at: unixSeconds,
    canceled_at: unixSeconds,
    created_at: unixSeconds,
    updated_at: unixSeconds,
    registrants_count: nullableCount,
    attendees_count: nullableCount
});
export type SessionAttributes = z.infer<typeof sessionAttributesSchema>;

export const eventAttributesSchema = z.object({
    title: nullableString,
    registration_link: nullableString,
    status: nullableString,
    scheduling_status: nullableString,
    updated_at: unixSeconds
});
export type EventAttributes = z.infer<typeof eventAttributesSchema>;

const envelopeSchema = z.object({
    data: z.object({
        id: z.string().min(1),
        type: z.string(),
        attributes: z.record(z.string(), z.unknown()),
        meta: z.object({
            webhook: z.object({ event: z.string(), organization_id: z.string().nullish() })
        })
    })
});

export type ParsedWebhook =
    | {
          kind: 'person';
          event: 'people.registered' | 'people.attended' | 'people.not_attended' | 'people.watched_replay';
          personId: string;
          attributes: PersonAttributes;
      }
    | {
          kind: 'session';
          event: 'session.created' | 'session.started' | 'session.ended';
          sessionId: string;
          attributes: SessionAttributes;
      }
    | {
          kind: 'event';
          event: 'event.created' | 'event.published';
          eventId: string;
          attributes: EventAttributes;
      }
    | { kind: 'ignored'; event: string };

export type WebhookParseResult =
    { ok: true; webhook: ParsedWebhook } | { ok: false; event: string | null; reason: string };

function describeIssues(error: z.ZodError): string {
    return error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
}

/**
 * Reads a webhook body. Never throws: content we cannot use comes back with a reason, to be quarantined.
 * @param body the raw request body
 */
export function parseWebhook(body: string): WebhookParseResult {
    let json: unknown;
    try {
        json = JSON.parse(body);
    } catch {
        return { ok: false, event: null, reason: 'body is not valid JSON' };
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
        return {
            ok: false,
            event: null,
            reason: `not a Livestorm webhook envelope (${describeIssues(envelope.error)})`
        };
    }
    const { id, attributes, meta } = envelope.data.data;
    const event = meta.webhook.event;
    switch (event) {
        case 'people.registered':
        case 'people.attended':
        case 'people.not_attended':
        case 'people.watched_replay': {
            const parsed = personAttributesSchema.safeParse(attributes);
            if (!parsed.success)
                return { ok: false, event, reason: `unusable ${event} (${describeIssues(parsed.error)})` };
            return { ok: true, webhook: { kind: 'person', event, personId: id, attributes: parsed.data } };
        }
        case 'session.created':
        case 'session.started':
        case 'session.ended': {
            const parsed = sessionAttributesSchema.safeParse(attributes);
            if (!parsed.success)
                return { ok: false, event, reason: `unusable ${event} (${describeIssues(parsed.error)})` };
            return { ok: true, webhook: { kind: 'session', event, sessionId: id, attributes: parsed.data } };
        }
        case 'event.created':
        case 'event.published': {
            const parsed = eventAttributesSchema.safeParse(attributes);
            if (!parsed.success)
                return { ok: false, event, reason: `unusable ${event} (${describeIssues(parsed.error)})` };
            return { ok: true, webhook: { kind: 'event', event, eventId: id, attributes: parsed.data } };
        }
        case 'job.ended':
            return { ok: true, webhook: { kind: 'ignored', event } };
        default:
            return { ok: false, event, reason: `unknown webhook event "${event}"` };
    }
}

export type WebhookInspection =
    { ok: true; event: string } | { ok: false; event: string | null; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
    return typeof value === 'string' && value.length > 0;
}

/**
 * The checks made before a delivery is acknowledged: JSON, the envelope, a known event and the ids it is routed by.
 * Plain property checks, a few microseconds: the full schema (parseWebhook) runs when the delivery is folded, where
 * anything else unusable is quarantined too.
 */
export function inspectWebhook(body: string): WebhookInspection {
    let json: unknown;
    try {
        json = JSON.parse(body);
    } catch {
        return { ok: false, event: null, reason: 'body is not valid JSON' };
    }
    const data = isObject(json) ? json.data : undefined;
    const meta = isObject(data) ? data.meta : undefined;
    const webhook = isObject(meta) ? meta.webhook : undefined;
    const event = isObject(webhook) && typeof webhook.event === 'string' ? webhook.event : null;
    if (!isObject(data) || !nonEmptyString(data.id) || !isObject(data.attributes) || event === null) {
        return {
            ok: false,
            event,
            reason: 'not a Livestorm webhook envelope (data.id, data.attributes and data.meta.webhook.event are required)'
        };
    }
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(event)) {
        return { ok: false, event, reason: `unknown webhook event "${event}"` };
    }
    const attributes = data.attributes;
    if (event.startsWith('people.')) {
        const detail = attributes.registrant_detail;
        if (!isObject(detail) || !nonEmptyString(detail.session_id) || !nonEmptyString(detail.event_id)) {
            return {
                ok: false,
                event,
                reason: `unusable ${event} (registrant_detail.session_id and registrant_detail.event_id are required)`
            };
        }
    } else if (event.startsWith('session.') && !nonEmptyString(attributes.event_id)) {
        return { ok: false, event, reason: `unusable ${event} (attributes.event_id is required)` };
    }
    return { ok: true, event };
}
