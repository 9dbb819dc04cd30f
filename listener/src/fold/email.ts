// Livestorm can hold a placeholder address (…@unknown.livestorm.co) while the real one sits in a registration field.
import type { RegistrationField } from '../livestorm/webhook-schema.ts';

const PLACEHOLDER_DOMAIN = '@unknown.livestorm.co';
// Deliberately simple: one @, no spaces, a dot in the domain. Salesforce rejects what it considers invalid anyway,
// and that rejection is kept visible on the record.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isUsableEmail(value: unknown): value is string {
    return typeof value === 'string' && EMAIL_PATTERN.test(value.trim()) && !isPlaceholderEmail(value);
}

export function isPlaceholderEmail(value: string): boolean {
    return value.trim().toLowerCase().endsWith(PLACEHOLDER_DOMAIN);
}

export type EmailResolution = { email: string; problem: null } | { email: null; problem: string };

/**
 * The address to match and create records with: the person's email unless it is missing or a placeholder, then the
 * first registration field of email type, then the first other field whose value is an address.
 */
export function resolveEmail(email: string | null, fields: readonly RegistrationField[]): EmailResolution {
    if (isUsableEmail(email)) return { email: email.trim(), problem: null };
    const candidates = fields.filter((field) => field.id !== 'email');
    const typed = candidates.find((field) => field.type === 'email' && isUsableEmail(field.value));
    const anyAddress = typed ?? candidates.find((field) => isUsableEmail(field.value));
    if (anyAddress && typeof anyAddress.value === 'string')
        return { email: anyAddress.value.trim(), problem: null };
    if (!email) return { email: null, problem: 'the registrant has no email address' };
    if (isPlaceholderEmail(email)) {
        return {
            email: null,
            problem: `the registrant's email is a Livestorm placeholder (${email}) and no registration field holds a real address`
        };
    }
    return { email: null, problem: `the registrant's email "${email}" is not a valid address` };
}
