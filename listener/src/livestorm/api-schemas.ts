// Schemas of the Livestorm REST API documents the listener reads (JSON:API, `{ data, meta? }`). Lenient on keys
// Livestorm may add, strict on what we route by: ids, types, and the event/session ids of a registration.
import { z } from 'zod';

const unixSeconds = z
    .number()
    .nullish()
    .transform((value) => value ?? 0);
const count = z
    .number()
    .nullish()
    .transform((value) => value ?? 0);

export const eventResourceSchema = z.object({
    id: z.string().min(1),
    type: z.literal('events'),
    attributes: z.looseObject({
        title: z.string().nullish(),
        registration_link: z.string().nullish(),
        status: z.string().nullish(),
        scheduling_status: z.string().nullish()
    })
});
export type JsonApiEventResource = z.infer<typeof eventResourceSchema>;

export const sessionResourceSchema = z.object({
    id: z.string().min(1),
    type: z.literal('sessions'),
    attributes: z.looseObject({
        event_id: z.string().min(1),
        status: z.string(),
        timezone: z.string().nullish(),
        estimated_started_at: unixSeconds,
        started_at: unixSeconds,
        ended_at: unixSeconds,
        canceled_at: unixSeconds,
        registrants_count: count,
        attendees_count: count
    })
});
export type JsonApiSessionResource = z.infer<typeof sessionResourceSchema>;

export const personResourceSchema = z.object({
    id: z.string().min(1),
    type: z.literal('people'),
    attributes: z.looseObject({
        role: z.string().nullish(),
        email: z.string().nullish(),
        registrant_detail: z
            .looseObject({
                event_id: z.string().min(1),
                session_id: z.string().min(1)
            })
            .nullish()
    })
});
export type JsonApiPersonResource = z.infer<typeof personResourceSchema>;

export const listMetaSchema = z.looseObject({
    current_page: z.number().int().nullish(),
    next_page: z.number().int().nullish(),
    page_count: z.number().int().nullish(),
    record_count: z.number().int().nullish()
});

export function singleDocumentSchema<T extends z.ZodType>(resource: T) {
    return z.object({ data: resource });
}

export function listDocumentSchema<T extends z.ZodType>(resource: T) {
    return z.object({ data: z.array(resource), meta: listMetaSchema.nullish() });
}

export const errorDocumentSchema = z.object({
    errors: z.array(
        z.looseObject({
            title: z.string().nullish(),
            detail: z.string().nullish(),
            status: z.union([z.string(), z.number()]).nullish()
        })
    )
});
