// State and Country/Territory Picklists (Salesforce Help "Integration Values for State and Country/Territory
// Picklists", https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_integ_values.htm):
// once an admin turns them on, every address gets a picklist-typed code field beside each text field
// (Lead CountryCode/StateCode, Contact MailingCountryCode/MailingStateCode, Account BillingCountryCode/…). Codes are the
// ISO 3166 codes, labels the names, and the text fields become "integration values" (default: the full names).
// The country list comes from ISO 3166-1, the states from ISO 3166-2 (the `iso-3166` package), top-level subdivisions
// only, for the countries Salesforce ships states for unless the org option names others.
import { iso31661, iso31662 } from 'iso-3166';
import type { AddressPicklists, AddressValue, FieldDef, ObjectDef } from './schema.ts';

export interface AddressPicklistOptions {
    /**
     * Countries whose states are listed. Default: the ten Salesforce enables out of the box (Australia, Brazil,
     * Canada, China, India, Ireland, Italy, Japan, Mexico, United States — support.storeconnect.com "Resolve state and
     * country picklist sync errors", which quotes Salesforce's default set).
     */
    stateCountries?: string[];
    /** Integration values that differ from the names, by code, e.g. `{ US: 'USA' }` (an admin may edit them). */
    integrationValues?: Record<string, string>;
}

export const DEFAULT_STATE_COUNTRIES = ['AU', 'BR', 'CA', 'CN', 'IN', 'IE', 'IT', 'JP', 'MX', 'US'];

// Salesforce's standard names for two countries whose ISO 3166-1 names are long ("Standard Countries and Territories
// for Address Picklists" lists "United States" and "United Kingdom").
const SALESFORCE_NAMES: Record<string, string> = { US: 'United States', GB: 'United Kingdom' };

/** The address parts of each object: the prefix of `{prefix}Country`, `{prefix}CountryCode`, `{prefix}State`… */
export const ADDRESS_PREFIXES: Record<string, string[]> = {
    Lead: [''],
    Contact: ['Mailing'],
    Account: ['Billing']
};

/** The countries and states of the emulated org. */
export function addressPicklists(options: AddressPicklistOptions = {}): AddressPicklists {
    const edited = options.integrationValues ?? {};
    const countries: AddressValue[] = iso31661
        .map((country) => {
            const name = SALESFORCE_NAMES[country.alpha2] ?? country.name;
            return { code: country.alpha2, name, integrationValue: edited[country.alpha2] ?? name };
        })
        .sort((a, b) => a.name.localeCompare(b.name, 'en'));
    const states = new Map<string, AddressValue[]>();
    for (const country of options.stateCountries ?? DEFAULT_STATE_COUNTRIES) {
        const list = iso31662
            .filter((subdivision) => subdivision.parent === country)
            .map((subdivision) => ({
                code: subdivision.code.slice(country.length + 1),
                name: subdivision.name,
                integrationValue: subdivision.name
            }))
            .sort((a, b) => a.name.localeCompare(b.name, 'en'));
        if (list.length > 0) states.set(country, list);
    }
    return { countries, states, prefixes: ADDRESS_PREFIXES };
}

/**
 * `validFor` of a dependent picklist value: a base64 bitset over the controlling field's values, bit i (most
 * significant bit first in each byte) set when the value is valid for the i-th controlling value (SOAP API
 * "DescribeSObjectResult" PicklistEntry.validFor, https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm;
 * "gAAA" = valid for the first controlling value only).
 */
export function validForBits(indexes: number[], controllingCount: number): string {
    const bytes = new Uint8Array(Math.max(1, Math.ceil(controllingCount / 8)));
    for (const index of indexes) bytes[index >> 3]! |= 0x80 >> (index & 7);
    return Buffer.from(bytes).toString('base64');
}

function codeField(
    base: FieldDef,
    name: string,
    label: string,
    kind: 'country' | 'state',
    prefix: string
): FieldDef {
    return {
        ...base,
        name,
        label,
        type: 'picklist',
        length: 255,
        restrictedPicklist: true,
        picklistValues: [],
        controllerName: null,
        custom: false,
        addressCode: { kind, prefix }
    };
}

/** Adds the code fields of every address of `object` to its field list (in place). */
export function addAddressCodeFields(
    object: ObjectDef,
    picklists: AddressPicklists,
    add: (object: ObjectDef, def: FieldDef) => void
): void {
    for (const prefix of picklists.prefixes[object.name] ?? []) {
        const countryText = object.fieldsByLowerName.get(`${prefix}Country`.toLowerCase());
        if (!countryText) continue;
        const country = codeField(
            countryText,
            `${prefix}CountryCode`,
            `${prefix ? `${prefix} ` : ''}Country Code`,
            'country',
            prefix
        );
        country.picklistValues = picklists.countries.map((entry) => ({
            value: entry.code,
            label: entry.name,
            defaultValue: false
        }));
        const position = new Map(picklists.countries.map((entry, index) => [entry.code, index]));
        const state = codeField(
            countryText,
            `${prefix}StateCode`,
            `${prefix ? `${prefix} ` : ''}State Code`,
            'state',
            prefix
        );
        state.controllerName = country.name;
        // One entry per (state code, label): the same code in two countries (e.g. "WA") is two entries.
        for (const [countryCode, list] of picklists.states) {
            for (const entry of list) {
                state.picklistValues.push({
                    value: entry.code,
                    label: entry.name,
                    defaultValue: false,
                    validFor: validForBits([position.get(countryCode) ?? 0], picklists.countries.length)
                });
            }
        }
        add(object, country);
        add(object, state);
    }
}
