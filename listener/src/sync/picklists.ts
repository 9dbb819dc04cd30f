// Values for picklists the org restricts, and for the address code fields of State and Country/Territory Picklists.
// A value the org does not list never blocks a record: it is left out, and the person carries a warning saying so.
//
// With State and Country/Territory Picklists on, each address has picklist code fields beside its text fields (Lead
// CountryCode/StateCode, Contact MailingCountryCode/MailingStateCode…), the codes being ISO codes; the text fields
// accept only the org's "integration values" and fail the whole record with FIELD_INTEGRITY_EXCEPTION otherwise (Help
// "Integration Values for State and Country/Territory Picklists",
// https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_integ_values.htm). So a mapped
// country is written to the code field: Livestorm's free text (a name in any language, an ISO alpha-2 or alpha-3
// code, "USA") is turned into an ISO code with i18n-iso-countries, then kept only if the org lists that code. A state is
// matched only against the org's own state codes and labels for the record's country (describe's `validFor`).
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import type { FieldInfo, ObjectInfo } from './org-metadata.ts';

// Names in these languages are recognised ("Deutschland", "Allemagne", "Alemania"…); loaded on first use.
const LANGUAGES = [
    'en',
    'fr',
    'de',
    'es',
    'it',
    'pt',
    'nl',
    'sv',
    'da',
    'nb',
    'fi',
    'pl',
    'cs',
    'ru',
    'ja',
    'zh'
];
/** Case, accents and punctuation ignored: "Etats Unis" equals "États-Unis", "u s a" equals "U.S.A.". */
const simplify = (text: string) =>
    text
        .normalize('NFD')
        .replace(/\p{Diacritic}/gu, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim();

let namesIndex: Map<string, string> | undefined;

/** Every name and alternative name of every country in LANGUAGES (simplified) → alpha-2; English wins a clash. */
function countryNames(): Map<string, string> {
    if (namesIndex) return namesIndex;
    const require = createRequire(import.meta.url);
    const index = new Map<string, string>();
    for (const language of LANGUAGES) {
        countries.registerLocale(
            require(`i18n-iso-countries/langs/${language}.json`) as countries.LocaleData
        );
        for (const [code, names] of Object.entries(countries.getNames(language, { select: 'all' }))) {
            for (const name of names) {
                const key = simplify(name);
                if (key && !index.has(key)) index.set(key, code);
            }
        }
    }
    namesIndex = index;
    return index;
}

/**
 * The ISO 3166-1 alpha-2 code of a country written any common way: an alpha-2, alpha-3 or numeric code, or a name or
 * usual short name ("USA", "U.S.", "UK") in one of the recognised languages, case, accents and punctuation ignored.
 * @returns the code, or null when nothing matches
 */
export function isoCountryCode(raw: string): string | null {
    const text = raw.trim();
    if (!text) return null;
    const names = countryNames();
    if (/^([A-Za-z]{2,3}|\d{1,3})$/.test(text) && countries.isValid(text)) {
        return countries.toAlpha2(/^\d+$/.test(text) ? text.padStart(3, '0') : text.toUpperCase()) ?? null;
    }
    return names.get(simplify(text)) ?? null;
}

/** Whether bit `index` is set in a describe `validFor` (base64, most significant bit first in each byte). */
export function validForIncludes(validFor: string | null | undefined, index: number): boolean {
    if (!validFor || index < 0) return false;
    const bytes = Buffer.from(validFor, 'base64');
    const byte = bytes[index >> 3];
    return byte !== undefined && (byte & (0x80 >> (index & 7))) !== 0;
}

/** A listed value whose value or label equals `text`, case and accents ignored. */
function listed(field: FieldInfo, text: string, all = field.picklistEntries): string | null {
    const entries = all.filter((entry) => entry.active);
    const wanted = simplify(text);
    const exact = entries.find((entry) => entry.value === text);
    if (exact) return exact.value;
    const found = entries.find(
        (entry) =>
            simplify(entry.value) === wanted || (entry.label !== null && simplify(entry.label) === wanted)
    );
    return found ? found.value : null;
}

/** The org's code for a country, from its own codes and labels first, then through the ISO standard. */
export function countryCodeFor(field: FieldInfo, raw: string): string | null {
    const own = listed(field, raw);
    if (own) return own;
    const iso = isoCountryCode(raw);
    return iso && field.picklistEntries.some((entry) => entry.active && entry.value === iso) ? iso : null;
}

/** The org's code for a state of `countryCode`, matched only against the states it lists for that country. */
export function stateCodeFor(
    stateField: FieldInfo,
    countryField: FieldInfo,
    countryCode: string,
    raw: string
): string | null {
    const index = countryField.picklistEntries.findIndex((entry) => entry.value === countryCode);
    if (index < 0) return null;
    const entries = stateField.picklistEntries.filter((entry) => validForIncludes(entry.validFor, index));
    return listed(stateField, raw, entries);
}

/** The address part a field belongs to when the org has State and Country/Territory Picklists. */
export interface AddressPart {
    kind: 'country' | 'state';
    /** The code field written instead of the text field. */
    codeField: FieldInfo;
    countryCodeField: FieldInfo;
}

/**
 * `Country`, `CountryCode`, `MailingState`… → its address part, found from describe: the code fields exist only when the
 * org has the picklists on. Null for any other field.
 */
export function addressPartOf(object: ObjectInfo, field: FieldInfo): AddressPart | null {
    const match = /^(.*?)(Country|State)(Code)?$/.exec(field.name);
    if (!match) return null;
    const prefix = match[1] ?? '';
    const kind = match[2] === 'Country' ? 'country' : 'state';
    const countryCodeField = object.fields.get(`${prefix}CountryCode`.toLowerCase());
    const codeField = object.fields.get(`${prefix}${match[2]}Code`.toLowerCase());
    if (!countryCodeField || !codeField || codeField.type !== 'picklist') return null;
    return { kind, codeField, countryCodeField };
}

/** The value to write in a picklist the org restricts, or null when it lists nothing matching. */
export function restrictedValueFor(field: FieldInfo, raw: string): string | null {
    return listed(field, raw);
}

/** The warning a person carries when a value is left out. */
export function leftOutWarning(
    object: string,
    field: FieldInfo,
    value: string,
    kind: 'country' | 'state' | 'picklist',
    country?: string | null
): string {
    if (kind === 'country')
        return `${object} ${field.label}: "${value}" was left out because the org's country picklist has no such country.`;
    if (kind === 'state')
        return country
            ? `${object} ${field.label}: "${value}" was left out because the org lists no such state for ${country}.`
            : `${object} ${field.label}: "${value}" was left out because the record has no country for it.`;
    return `${object} ${field.label}: "${value}" was left out because it is not one of the values the org allows for this picklist.`;
}
