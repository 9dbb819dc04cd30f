import type { FieldDef } from './schema.ts';
import { soapType } from './schema.ts';

/** A failure of one record: the shape of sObject Collections results (key `statusCode`). */
export interface RecordError {
    statusCode: string;
    message: string;
    fields: string[];
    duplicateResult?: unknown;
}

/** A failure of the whole request: answered as `[{ message, errorCode, fields? }]` with an HTTP status. */
export class RequestError extends Error {
    readonly status: number;
    readonly errorCode: string;
    readonly fields: string[] | undefined;

    constructor(status: number, errorCode: string, message: string, fields?: string[]) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
        this.fields = fields;
    }

    body(): Record<string, unknown>[] {
        const entry: Record<string, unknown> = { message: this.message, errorCode: this.errorCode };
        if (this.fields) entry.fields = this.fields;
        return [entry];
    }
}

export function recordError(statusCode: string, message: string, fields: string[] = []): RecordError {
    return { statusCode, message, fields };
}

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'url', 'phone', 'picklist']);

export function isTextType(def: FieldDef): boolean {
    return TEXT_TYPES.has(def.type);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/;

function validCalendarDate(year: number, month: number, day: number): boolean {
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A datetime as the REST API writes it: `2026-11-24T17:00:00.000+0000`. */
export function formatDateTime(date: Date): string {
    return date.toISOString().replace('Z', '+0000');
}

export function formatDate(date: Date): string {
    return date.toISOString().slice(0, 10);
}

export function parseDateValue(value: string): string | undefined {
    const match = DATE.exec(value);
    if (!match) return undefined;
    return validCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) ? value : undefined;
}

export function parseDateTimeValue(value: string): string | undefined {
    const match = DATETIME.exec(value);
    if (!match) return undefined;
    const [, year, month, day, hour, minute, second] = match;
    if (!validCalendarDate(Number(year), Number(month), Number(day))) return undefined;
    if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
    let zone = match[8] ?? 'Z';
    if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const millis = (match[7] ?? '.000').padEnd(4, '0');
    const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${millis}${zone}`);
    return Number.isNaN(date.getTime()) ? undefined : formatDateTime(date);
}

function deserializeError(def: FieldDef, value: unknown): RequestError {
    const kind =
        typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'number' ? 'VALUE_NUMBER_INT' : 'VALUE';
    const type = soapType(def.type).replace(/^\w+:/, '');
    return new RequestError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of ${type} from ${kind} value ${JSON.stringify(value)} or request may be missing a required field`
    );
}

/**
 * Converts a JSON value sent for a field into the stored representation. A value of the wrong JSON type
 * fails the whole request like Salesforce's JSON deserializer does (JSON_PARSER_ERROR). The reference does
 * not say whether numbers in strings are coerced; the stricter reading rejects them.
 */
export function coerceValue(def: FieldDef, value: unknown): unknown {
    if (value === null) return def.type === 'boolean' ? false : null;
    switch (def.type) {
        case 'boolean':
            if (typeof value !== 'boolean') throw deserializeError(def, value);
            return value;
        case 'double':
        case 'int':
        case 'percent':
        case 'currency':
            if (typeof value !== 'number' || !Number.isFinite(value)) throw deserializeError(def, value);
            if (def.type === 'int' && !Number.isInteger(value)) throw deserializeError(def, value);
            return value;
        case 'date': {
            const parsed = typeof value === 'string' ? parseDateValue(value) : undefined;
            if (parsed === undefined) throw deserializeError(def, value);
            return parsed;
        }
        case 'datetime': {
            const parsed = typeof value === 'string' ? parseDateTimeValue(value) : undefined;
            if (parsed === undefined) throw deserializeError(def, value);
            return parsed;
        }
        default:
            if (typeof value !== 'string') throw deserializeError(def, value);
            // Salesforce stores an empty string as null.
            return value === '' ? null : value;
    }
}

// The characters Salesforce accepts in an email address: RFC 5322 atext in the local part (apostrophes included).
const EMAIL =
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** The per-record checks of one value: length, email format, restricted picklist, numeric range. */
export function checkValue(def: FieldDef, value: unknown): { error?: RecordError; value: unknown } {
    if (value === null || value === undefined) return { value };
    if (typeof value === 'string' && isTextType(def)) {
        if (value.length > def.length) {
            return {
                value,
                error: recordError(
                    'STRING_TOO_LONG',
                    `${def.label}: data value too large: ${value} (max length=${def.length})`,
                    [def.name]
                )
            };
        }
        if (def.type === 'email' && !EMAIL.test(value)) {
            return {
                value,
                error: recordError('INVALID_EMAIL_ADDRESS', `${def.label}: invalid email address: ${value}`, [
                    def.name
                ])
            };
        }
        // Address code fields are checked by the address rules (FIELD_INTEGRITY_EXCEPTION), not as plain picklists.
        if (def.type === 'picklist' && def.restrictedPicklist && !def.addressCode) {
            if (!def.picklistValues.some((entry) => entry.value === value)) {
                return {
                    value,
                    error: recordError(
                        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                        `${def.label}: bad value for restricted picklist field: ${value}`,
                        [def.name]
                    )
                };
            }
        }
    }
    if (
        typeof value === 'number' &&
        ['double', 'percent', 'currency'].includes(def.type) &&
        def.precision > 0
    ) {
        const rounded = Number(value.toFixed(def.scale));
        const integerDigits = Math.trunc(Math.abs(rounded)).toString().length;
        if (Math.trunc(Math.abs(rounded)) !== 0 && integerDigits > def.precision - def.scale) {
            return {
                value,
                error: recordError(
                    'NUMBER_OUTSIDE_VALID_RANGE',
                    `${def.label}: value outside of valid range on numeric field: ${value}`,
                    [def.name]
                )
            };
        }
        return { value: rounded };
    }
    if (typeof value === 'number' && def.type === 'int' && def.digits > 0) {
        if (Math.abs(value).toString().length > def.digits) {
            return {
                value,
                error: recordError(
                    'NUMBER_OUTSIDE_VALID_RANGE',
                    `${def.label}: value outside of valid range on numeric field: ${value}`,
                    [def.name]
                )
            };
        }
    }
    return { value };
}
