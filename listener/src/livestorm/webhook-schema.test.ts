import { describe, expect, it } from 'vitest';
import { inspectWebhook, parseWebhook } from './webhook-schema.ts';
import { livestormPayload, livestormPayloadFiles } from '../../test/livestorm-payloads.ts';

const webhookFiles = livestormPayloadFiles().filter((file) => file.endsWith('.INFERRED.json'));

describe('webhook parsing', () => {
    it.each(webhookFiles)('accepts the reference payload %s at the edge and when folding', (file) => {
        const body = livestormPayload(file);
        const inspected = inspectWebhook(body);
        const parsed = parseWebhook(body);
        expect(inspected).toEqual({ ok: true, event: file.replace('.INFERRED.json', '') });
        expect(parsed.ok).toBe(true);
    });

    it('names what is missing, and the event when it can be read', () => {
        expect(inspectWebhook('{')).toEqual({ ok: false, event: null, reason: 'body is not valid JSON' });
        expect(
            inspectWebhook(
                '{"data":{"id":"x","attributes":{},"meta":{"webhook":{"event":"session.created"}}}}'
            )
        ).toMatchObject({
            ok: false,
            event: 'session.created',
            reason: expect.stringContaining('attributes.event_id')
        });
        expect(
            inspectWebhook('{"data":{"id":"x","attributes":{},"meta":{"webhook":{"event":"job.ended"}}}}')
        ).toEqual({ ok: true, event: 'job.ended' });
    });

    it('leaves attribute types to the fold, which quarantines what it cannot use', () => {
        const body = JSON.stringify({
            data: {
                id: 'p',
                type: 'people',
                attributes: { registrant_detail: { session_id: 's', event_id: 'e', fields: 'not a list' } },
                meta: { webhook: { event: 'people.registered' } }
            }
        });
        expect(inspectWebhook(body).ok).toBe(true);
        expect(parseWebhook(body)).toMatchObject({ ok: false, reason: expect.stringContaining('fields') });
    });
});
