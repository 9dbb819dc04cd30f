// Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>` for scripts, or a browser session opened once with
// `/admin?token=<ADMIN_TOKEN>`. The cookie holds an HMAC derived from the token, not the token itself, so a leaked
// cookie does not reveal the token and changing ADMIN_TOKEN logs every browser out.
import { createHmac } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual } from '../http/timing-safe.ts';

export const ADMIN_COOKIE = 'livestorm_sf_admin';
const SESSION_LIFETIME_SECONDS = 12 * 60 * 60;

/** The cookie value proving the browser once presented the token. */
export function adminSessionValue(adminToken: string): string {
    return createHmac('sha256', adminToken).update('livestorm-sf admin session v1').digest('base64url');
}

export function isAuthorized(c: Context, adminToken: string): boolean {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
        const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
        return match?.[1] !== undefined && constantTimeEqual(adminToken, match[1]);
    }
    const cookie = getCookie(c, ADMIN_COOKIE);
    return cookie !== undefined && constantTimeEqual(adminSessionValue(adminToken), cookie);
}

export function openAdminSession(c: Context, adminToken: string): void {
    setCookie(c, ADMIN_COOKIE, adminSessionValue(adminToken), {
        httpOnly: true,
        // Strict: a cross-site form cannot ride on the session to toggle events or replay deliveries.
        sameSite: 'Strict',
        secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
        path: '/admin',
        maxAge: SESSION_LIFETIME_SECONDS
    });
}

/**
 * Guards every admin route. `?token=` on a GET opens a session and redirects to the same URL without the token, so the
 * token does not stay in the address bar or the browser history.
 */
export function requireAdmin(
    adminToken: string,
    onUnauthorized: (c: Context) => Response | Promise<Response>
): MiddlewareHandler {
    return async function adminAuth(c, next) {
        const offered = c.req.query('token');
        if (offered !== undefined && c.req.method === 'GET') {
            if (!constantTimeEqual(adminToken, offered)) return onUnauthorized(c);
            openAdminSession(c, adminToken);
            const url = new URL(c.req.url);
            url.searchParams.delete('token');
            return c.redirect(url.pathname + url.search, 303);
        }
        if (!isAuthorized(c, adminToken)) return onUnauthorized(c);
        await next();
    };
}
