// Campaign Name = "{event title} - {YYYY-MM-DD}" by default: the session's date in the session's own timezone, so a
// 9 pm session in New York is not named after the next day. Written once, at creation, truncated to 80 characters.

export const CAMPAIGN_NAME_MAX = 80;

// Building an Intl.DateTimeFormat is costly (ICU data, native memory): one per timezone, reused.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(timeZone: string): Intl.DateTimeFormat {
    let format = dateFormats.get(timeZone);
    if (!format) {
        format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
        dateFormats.set(timeZone, format);
    }
    return format;
}

/** YYYY-MM-DD of a unix-seconds instant in an IANA timezone (UTC when unknown or invalid). */
export function localDate(unixSeconds: number, timezone: string | null): string {
    const date = new Date(unixSeconds * 1000);
    try {
        return dateFormat(timezone ?? 'UTC').format(date);
    } catch {
        return dateFormat('UTC').format(date);
    }
}

/** Cuts at a code point boundary: an emoji or accented letter is never split into an invalid half. */
export function truncate(value: string, max: number): string {
    const codePoints = Array.from(value);
    if (codePoints.length <= max) return value;
    return codePoints.slice(0, max).join('').trimEnd();
}

export interface CampaignNameInput {
    template: string;
    eventTitle: string;
    sessionName: string | null;
    startUnixSeconds: number;
    timezone: string | null;
}

export function campaignName(input: CampaignNameInput): string {
    const date = localDate(input.startUnixSeconds, input.timezone);
    const name = input.template
        .replaceAll('{event title}', input.eventTitle)
        .replaceAll('{session name}', input.sessionName ?? '')
        .replaceAll('{YYYY-MM-DD}', date)
        .replace(/\s+-\s*$/, '')
        .trim();
    return truncate(name || input.eventTitle, CAMPAIGN_NAME_MAX);
}
