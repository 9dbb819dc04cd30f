// What the admin page says after an action ("Event disabled", "Settings saved", or the settings text kept with its
// problems): kept on the server for the browser that acted, under a random id in a cookie, and shown once. Nothing a
// page displays comes from the query string, so a crafted link cannot make the page say anything.
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SettingsProblem } from '../config/settings-text.ts';

export const NOTICE_COOKIE = 'livestorm_sf_notice';
const LIFETIME_MS = 5 * 60 * 1000;
const MAX_NOTICES = 200;

export interface Notice {
    kind: 'done' | 'problem';
    /** One or two sentences, in an admin's words. */
    text: string;
    /** Settings text the admin submitted, kept in the box when it has problems. */
    settingsText?: string;
    problems?: SettingsProblem[];
}

export interface Notices {
    /** Keeps a notice for the browser of this request (shown by the next page it opens). */
    put(c: Context, notice: Notice): void;
    /** The notice waiting for this browser, removed once read. */
    take(c: Context): Notice | undefined;
}

/** @param now milliseconds since epoch (tests pass their clock) */
export function createNotices(now: () => number = Date.now): Notices {
    const waiting = new Map<string, { notice: Notice; expiresAt: number }>();
    const sweep = () => {
        const time = now();
        for (const [id, entry] of waiting) if (entry.expiresAt <= time) waiting.delete(id);
        // Oldest first: a flood of actions cannot grow the map without bound.
        while (waiting.size >= MAX_NOTICES) waiting.delete(waiting.keys().next().value as string);
    };
    return {
        put(c, notice) {
            sweep();
            const id = randomBytes(16).toString('base64url');
            waiting.set(id, { notice, expiresAt: now() + LIFETIME_MS });
            setCookie(c, NOTICE_COOKIE, id, {
                httpOnly: true,
                sameSite: 'Strict',
                path: '/admin',
                maxAge: LIFETIME_MS / 1000,
                secure:
                    new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https'
            });
        },
        take(c) {
            const id = getCookie(c, NOTICE_COOKIE);
            if (id === undefined) return undefined;
            deleteCookie(c, NOTICE_COOKIE, { path: '/admin' });
            const entry = waiting.get(id);
            waiting.delete(id);
            return entry && entry.expiresAt > now() ? entry.notice : undefined;
        }
    };
}
