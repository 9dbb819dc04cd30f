// Mapping folded state to Salesforce fields, with describes from the emulator (derived from the package metadata).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import { parseSettings } from '../config/settings.ts';
import type { PersonState } from '../store/state.ts';
import { createSalesforceConnection } from '../salesforce/connection.ts';
import { loadOrgMetadata } from './org-metadata.ts';
import type { OrgMetadata } from './org-metadata.ts';
import {
    coerce,
    enrichment,
    memberFields,
    newCampaignRecord,
    newPersonRecord,
    REPLAY_LIVE,
    REPLAY_ON_DEMAND,
    sourceValue
} from './records.ts';

let emulator: SalesforceEmulator;
let metadata: OrgMetadata;
beforeAll(async () => {
    emulator = await startSalesforceEmulator({
        extraFields: { Lead: [{ name: 'Segment__c', type: 'string', length: 10, required: true }] }
    });
    metadata = await loadOrgMetadata(
        createSalesforceConnection(
            { mode: 'token', instanceUrl: emulator.instanceUrl, accessToken: emulator.accessToken },
            { apiVersion: '66.0' }
        )
    );
});
afterAll(async () => {
    await emulator.close();
});

function person(overrides: Partial<PersonState> = {}): PersonState {
    return {
        personId: 'p1',
        sessionId: 's1',
        eventId: 'e1',
        role: 'participant',
        email: 'ada@example.com',
        emailProblem: null,
        firstName: 'Ada',
        lastName: 'Lovelace',
        fields: {
            company: 'Analytical Engines',
            job_title: 'Countess',
            phone: '+44 20',
            city: 'London',
            country: 'UK',
            website: 'https://ae.example',
            favourite_colour: 'blue',
            interests: ['maths', 'poetry']
        },
        utm: { source: 'newsletter', medium: 'email', campaign: 'launch', term: null, content: null },
        referrer: 'https://example.com/blog',
        joinLink: 'https://app.livestorm.co/p/e1/live?s=s1',
        registeredAt: 1_720_628_127,
        attendance: 'attended',
        engagement: {
            durationSeconds: 2712,
            ratePercent: 87.5,
            messages: 3,
            questions: 1,
            votes: 2,
            upVotes: 0
        },
        replayWatched: true,
        replayWatchedAt: 1_720_700_000,
        updatedAt: 1_720_700_000,
        ipCity: 'Paris',
        ipCountry: 'France',
        ...overrides
    };
}

describe('sourceValue', () => {
    it('reads standard fields, custom registration fields by id (multi-select joined), UTM and figures', () => {
        expect(sourceValue(person(), 'company')).toBe('Analytical Engines');
        expect(sourceValue(person(), 'field:favourite_colour')).toBe('blue');
        expect(sourceValue(person(), 'field:interests')).toBe('maths;poetry');
        expect(sourceValue(person(), 'field:missing')).toBeNull();
        expect(sourceValue(person(), 'utm_campaign')).toBe('launch');
        expect(sourceValue(person(), 'attendance_rate')).toBe(87.5);
    });
});

describe('coerce', () => {
    it('truncates text to the field length and formats instants for datetime and date fields', () => {
        const title = metadata.objects.Lead.fields.get('title')!;
        expect(coerce('x'.repeat(300), title)).toHaveLength(title.length);
        const start = metadata.objects.Campaign.fields.get('livestorm_session_start__c')!;
        expect(coerce(1_720_628_127, start)).toBe('2024-07-10T16:15:27.000+0000');
        const date = metadata.objects.Campaign.fields.get('startdate')!;
        expect(coerce(1_720_628_127, date)).toBe('2024-07-10');
    });

    it('keeps quotes, backslashes, wildcards and right-to-left marks, and removes control characters', () => {
        const lastName = metadata.objects.Lead.fields.get('lastname')!;
        expect(coerce("O'Bri\\en_%\u200f\u202eنور", lastName)).toBe("O'Bri\\en_%\u200f\u202eنور");
        expect(coerce('Ada\u0000\u0007\u001b[31mLove\u007flace', lastName)).toBe('Ada[31mLovelace');
        expect(coerce('lone \ud83d half', lastName)).toBe('lone \ufffd half');
    });

    it('truncates to the field length in UTF-16 code units without splitting a surrogate pair', () => {
        const title = metadata.objects.Lead.fields.get('title')!;
        for (const prefix of ['', 'x']) {
            const value = coerce(prefix + '😀'.repeat(title.length), title) as string;
            expect(value.length).toBeLessThanOrEqual(title.length);
            expect(value.length).toBeGreaterThanOrEqual(title.length - 1);
            expect(value.isWellFormed()).toBe(true);
        }
    });

    it('drops values a field cannot hold rather than failing the record', () => {
        const email = metadata.objects.Lead.fields.get('email')!;
        expect(coerce('not an address', email)).toBeUndefined();
        const duration = metadata.objects.CampaignMember.fields.get('livestorm_attendance_duration__c')!;
        expect(coerce('12 minutes', duration)).toBeUndefined();
        expect(coerce('720', duration)).toBe(720);
    });
});

describe('newPersonRecord', () => {
    const settings = parseSettings({});
    it('maps the standard registration fields onto a Lead, with LeadSource and fallbacks for required fields', () => {
        const record = newPersonRecord(
            'Lead',
            person({ lastName: null, fields: {} }),
            settings,
            metadata,
            '2026-01-01'
        );
        expect(record).toMatchObject({
            FirstName: 'Ada',
            Email: 'ada@example.com',
            LastName: '[not provided]',
            Company: '[not provided]',
            LeadSource: 'Livestorm',
            Segment__c: '[not provi'
        });
    });

    it('uses a custom mapping by registration field id', () => {
        const custom = parseSettings({
            mapping: {
                lead: [
                    { from: 'field:favourite_colour', to: 'Description' },
                    { from: 'last_name', to: 'LastName' }
                ]
            }
        });
        expect(newPersonRecord('Lead', person(), custom, metadata, '2026-01-01')).toMatchObject({
            Description: 'blue',
            LastName: 'Lovelace'
        });
    });
});

describe('enrichment', () => {
    it('fills only empty fields by default, overwrites when told, never changes Email', () => {
        const existing = {
            Id: '00Q',
            Email: 'ADA@example.com',
            FirstName: null,
            Title: 'Engineer',
            Company: 'Old'
        };
        expect(enrichment('Lead', existing, person(), parseSettings({}), metadata)).toEqual({
            FirstName: 'Ada',
            Phone: '+44 20',
            City: 'London',
            Country: 'UK',
            Website: 'https://ae.example',
            LastName: 'Lovelace'
        });
        const overwrite = parseSettings({
            mapping: {
                lead: [
                    { from: 'company', to: 'Company', mode: 'overwrite' },
                    { from: 'email', to: 'Email', mode: 'overwrite' }
                ]
            }
        });
        expect(enrichment('Lead', existing, person(), overwrite, metadata)).toEqual({
            Company: 'Analytical Engines'
        });
        expect(
            enrichment('Lead', { ...existing, Company: 'Analytical Engines' }, person(), overwrite, metadata)
        ).toBeNull();
    });
});

describe('memberFields', () => {
    it('sets Status from the configured labels, the engagement figures and the replay status by event type', () => {
        const settings = parseSettings({});
        const live = memberFields(person(), settings, metadata, false, true);
        expect(live).toMatchObject({
            Status: 'Attended',
            Livestorm_Attendance_Duration__c: 2712,
            Livestorm_Attendance_Rate__c: 87.5,
            Livestorm_Messages_Count__c: 3,
            Livestorm_Questions_Count__c: 1,
            Livestorm_Votes_Count__c: 2,
            Livestorm_UTM_Source__c: 'newsletter',
            Livestorm_Replay_Status__c: REPLAY_LIVE
        });
        expect(
            memberFields(person({ attendance: 'not_attended' }), settings, metadata, true, false)
        ).toMatchObject({ Status: 'Did not attend', Livestorm_Replay_Status__c: REPLAY_ON_DEMAND });
        expect(
            memberFields(person({ replayWatched: false }), settings, metadata, false, false)
        ).not.toHaveProperty('Livestorm_Replay_Status__c');
    });
});

describe('newCampaignRecord', () => {
    it('names the Campaign from the template, sets the Livestorm fields and the configured defaults', () => {
        const record = newCampaignRecord(
            {
                sessionId: 's1',
                eventId: 'e1',
                status: 'upcoming',
                timezone: 'Europe/Paris',
                name: null,
                roomLink: null,
                estimatedStartedAt: 1_768_953_600,
                startedAt: 0,
                endedAt: 0,
                canceledAt: 0,
                createdAt: 1,
                updatedAt: 1
            },
            {
                eventId: 'e1',
                title: 'Product demo',
                onDemand: false,
                registrationLink: 'https://app.livestorm.co/p/e1',
                enabled: null,
                fetchedAt: 1
            },
            { registrants: 3, attendees: 0, noShows: 0, replayViewers: 0 },
            parseSettings({ campaign: { defaults: { Type: 'Conference', IsActive: false } } }),
            metadata
        );
        expect(record).toMatchObject({
            Name: 'Product demo - 2026-01-21',
            StartDate: '2026-01-21',
            Type: 'Conference',
            IsActive: false,
            Livestorm_Session_Id__c: 's1',
            Livestorm_Event_Title__c: 'Product demo',
            Livestorm_Event_Type__c: 'Live',
            Livestorm_Registrants__c: 3
        });
    });
});
