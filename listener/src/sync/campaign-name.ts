// Campaign Name = "{event title} - {YYYY-MM-DD}" by default: the session's date in the session's own timezone, so a
// 9 pm session in New York is not named after the next day. Written once, at creation, truncated to 80 characters.

export const CAMPAIGN_NAME_MAX = 80;

// Building an Intl.DateTimeFormat is costly (ICU data, native memory): one per timezone, reused.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(timeZone: string): Intl.DateTimeFormat {
    let format = dateFormats.get(timeZone);
    if (!format) {
        format = new Intl.DateTimeFormat('en-CA', {
            timeZone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit'
        });
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

/**
 * Cuts a string to at most `max` UTF-16 code units, never between the two halves of a surrogate pair.
 *
 * Salesforce counts a field's length in UTF-16 code units: a character outside the Basic Multilingual Plane (an
 * emoji, "𠮟") counts as two (help article 005166849, "Surrogate Pair Characters Are Treated as Two Characters",
 * https://help.salesforce.com/s/articleView?id=005166849&type=1), so a cut by code points could still exceed the
 * describe length, and a cut by code units alone could leave half an emoji.
 * @example truncate('ab😀cd', 3) // 'ab' — the emoji would take code units 3 and 4
 */
export function truncate(value: string, max: number): string {
    if (value.length <= max) return value;
    let end = Math.max(0, max);
    const last = value.charCodeAt(end - 1);
    // A high surrogate at the cut would be left without its low half.
    if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
    return value.slice(0, end).trimEnd();
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
