// Country, state and restricted picklist values against an org with State and Country/Territory Picklists (describes
// from the emulator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import { parseSettings } from '../config/settings.ts';
import { createSalesforceConnection } from '../salesforce/connection.ts';
import type { PersonState } from '../store/state.ts';
import { loadOrgMetadata } from './org-metadata.ts';
import type { OrgMetadata } from './org-metadata.ts';
import {
    addressPartOf,
    countryCodeFor,
    isoCountryCode,
    stateCodeFor,
    validForIncludes
} from './picklists.ts';
import { enrichment, lookupFields, newPersonRecord } from './records.ts';

let emulator: SalesforceEmulator;
let metadata: OrgMetadata;
let plain: SalesforceEmulator;
let plainMetadata: OrgMetadata;
const load = (org: SalesforceEmulator) =>
    loadOrgMetadata(
        createSalesforceConnection(
            { mode: 'token', instanceUrl: org.instanceUrl, accessToken: org.accessToken },
            { apiVersion: '66.0' }
        )
    );
beforeAll(async () => {
    emulator = await startSalesforceEmulator({
        addressPicklists: { stateCountries: ['US', 'DE', 'AU'] },
        extraFields: {
            Lead: [
                {
                    name: 'Segment__c',
                    type: 'picklist',
                    picklistValues: ['Enterprise', 'Mid-market'],
                    restricted: true
                },
                { name: 'Tag__c', type: 'picklist', picklistValues: ['A'] }
            ]
        }
    });
    plain = await startSalesforceEmulator();
    [metadata, plainMetadata] = await Promise.all([load(emulator), load(plain)]);
});
afterAll(async () => {
    await Promise.all([emulator.close(), plain.close()]);
});

function person(fields: Record<string, string>): PersonState {
    return {
        personId: 'p1',
        sessionId: 's1',
        eventId: 'e1',
        role: 'participant',
        email: 'geo@example.com',
        emailProblem: null,
        firstName: 'Geo',
        lastName: 'Graph',
        fields,
        utm: { source: null, medium: null, campaign: null, term: null, content: null },
        referrer: null,
        joinLink: null,
        registeredAt: 0,
        ipCity: null,
        ipCountry: null,
        attendance: 'registered',
        engagement: {
            durationSeconds: null,
            ratePercent: null,
            messages: null,
            questions: null,
            votes: null,
            upVotes: null
        },
        replayWatched: false,
        replayWatchedAt: null
    } as unknown as PersonState;
}

const settings = parseSettings({
    mapping: {
        lead: [
            { from: 'last_name', to: 'LastName' },
            { from: 'country', to: 'Country' },
            { from: 'field:state', to: 'State' },
            { from: 'field:segment', to: 'Segment__c' },
            { from: 'field:tag', to: 'Tag__c' }
        ]
    }
});

describe('country names and codes', () => {
    it('reads ISO codes, common names and names in other languages', () => {
        for (const [raw, code] of [
            ['USA', 'US'],
            ['usa', 'US'],
            ['U.S.', 'US'],
            ['United States of America', 'US'],
            ['Deutschland', 'DE'],
            ['Allemagne', 'DE'],
            ['Alemania', 'DE'],
            ['DEU', 'DE'],
            ['276', 'DE'],
            ['France', 'FR'],
            ['FR', 'FR'],
            ['fr', 'FR'],
            ["États-Unis d'Amérique", 'US'],
            ['etats unis d amerique', 'US'],
            ['Vereinigte Staaten', 'US'],
            ['UK', 'GB'],
            [' Japan ', 'JP']
        ] as const) {
            expect(isoCountryCode(raw), raw).toBe(code);
        }
        for (const raw of ['Atlantis', '', 'ZZ', 'Europe']) expect(isoCountryCode(raw), raw).toBeNull();
    });

    it('keeps only codes the org lists, and matches the org’s own labels first', () => {
        const field = metadata.objects.Lead.fields.get('countrycode')!;
        expect(countryCodeFor(field, 'United States')).toBe('US');
        expect(countryCodeFor(field, 'germany')).toBe('DE');
        expect(countryCodeFor(field, 'Atlantis')).toBeNull();
        const narrow = {
            ...field,
            picklistEntries: field.picklistEntries.filter((entry) => entry.value !== 'FR')
        };
        expect(countryCodeFor(narrow, 'France')).toBeNull();
    });

    it('matches states only among those valid for the country (validFor)', () => {
        const lead = metadata.objects.Lead;
        const state = lead.fields.get('statecode')!;
        const country = lead.fields.get('countrycode')!;
        expect(stateCodeFor(state, country, 'US', 'California')).toBe('CA');
        expect(stateCodeFor(state, country, 'US', 'wa')).toBe('WA');
        expect(stateCodeFor(state, country, 'AU', 'Western Australia')).toBe('WA');
        expect(stateCodeFor(state, country, 'DE', 'Bayern')).toBe('BY');
        expect(stateCodeFor(state, country, 'US', 'Bayern')).toBeNull();
        expect(stateCodeFor(state, country, 'FR', 'Bretagne')).toBeNull();
        expect(validForIncludes('gA==', 0)).toBe(true);
        expect(validForIncludes('gA==', 1)).toBe(false);
        expect(validForIncludes('AAE=', 15)).toBe(true);
        expect(validForIncludes(null, 0)).toBe(false);
    });

    it('finds address parts only where the org has the code fields', () => {
        const leadCountry = metadata.objects.Lead.fields.get('country')!;
        expect(addressPartOf(metadata.objects.Lead, leadCountry)?.codeField.name).toBe('CountryCode');
        const mailingState = metadata.objects.Contact.fields.get('mailingstate')!;
        expect(addressPartOf(metadata.objects.Contact, mailingState)?.codeField.name).toBe(
            'MailingStateCode'
        );
        expect(
            addressPartOf(plainMetadata.objects.Lead, plainMetadata.objects.Lead.fields.get('country')!)
        ).toBeNull();
    });
});

describe('records with address and restricted picklists', () => {
    it('writes codes instead of texts, and leaves out what the org does not list, with a warning each', () => {
        const warnings: string[] = [];
        const record = newPersonRecord(
            'Lead',
            person({ country: 'Deutschland', state: 'Bayern', segment: 'enterprise', tag: 'free text' }),
            settings,
            metadata,
            '2026-11-29',
            warnings
        );
        expect(record).toMatchObject({
            CountryCode: 'DE',
            StateCode: 'BY',
            Segment__c: 'Enterprise',
            Tag__c: 'free text'
        });
        expect(record).not.toHaveProperty('Country');
        expect(record).not.toHaveProperty('State');
        expect(warnings).toEqual([]);

        const refused: string[] = [];
        const other = newPersonRecord(
            'Lead',
            person({ country: 'Atlantis', state: 'Bayern', segment: 'Aerospace' }),
            settings,
            metadata,
            '2026-11-29',
            refused
        );
        expect(other).not.toHaveProperty('CountryCode');
        expect(other).not.toHaveProperty('StateCode');
        expect(other).not.toHaveProperty('Segment__c');
        expect(refused).toEqual([
            'Lead Country: "Atlantis" was left out because the org\'s country picklist has no such country.',
            'Lead Segment: "Aerospace" was left out because it is not one of the values the org allows for this picklist.',
            'Lead State/Province: "Bayern" was left out because the record has no country for it.'
        ]);
    });

    it('keeps the text fields in an org without the picklists', () => {
        const record = newPersonRecord(
            'Lead',
            person({ country: 'Deutschland' }),
            settings,
            plainMetadata,
            '2026-11-29'
        );
        expect(record.Country).toBe('Deutschland');
        expect(record).not.toHaveProperty('CountryCode');
    });

    it('enriches with codes: fills an empty country, matches a state against the record’s existing country', () => {
        expect(lookupFields('Lead', settings, metadata)).toEqual(
            expect.arrayContaining(['CountryCode', 'StateCode'])
        );
        const warnings: string[] = [];
        expect(
            enrichment(
                'Lead',
                { LastName: 'Graph', CountryCode: null, StateCode: null },
                person({ country: 'USA' }),
                settings,
                metadata,
                warnings
            )
        ).toEqual({ CountryCode: 'US' });
        expect(
            enrichment(
                'Lead',
                { LastName: 'Graph', CountryCode: 'AU', StateCode: null },
                person({ state: 'Western Australia' }),
                settings,
                metadata
            )
        ).toEqual({ StateCode: 'WA' });
        expect(
            enrichment(
                'Lead',
                { LastName: 'Graph', CountryCode: 'US', StateCode: 'CA' },
                person({ country: 'France', state: 'Texas' }),
                settings,
                metadata
            )
        ).toBeNull();
        expect(warnings).toEqual([]);
    });
});
