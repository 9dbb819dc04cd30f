// Browser-facing protections of the admin page and API (beyond the token): security headers on every admin answer
// (hono/secure-headers) and cross-site request forgery protection on every state change made with the browser
// session cookie (hono/csrf). Scripts authenticate with `Authorization: Bearer`, which a browser never attaches on
// its own, so their requests need no CSRF check.
import type { Context, MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';

/**
 * Headers for every admin answer: a content security policy that allows only the listener's own script and style
 * files (no inline script, no other origin), no framing, no referrer, no MIME sniffing.
 */
export function adminSecurityHeaders(): MiddlewareHandler {
    return secureHeaders({
        contentSecurityPolicy: {
            defaultSrc: ["'none'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'"],
            imgSrc: ["'self'"],
            connectSrc: ["'self'"],
            formAction: ["'self'"],
            baseUri: ["'none'"],
            frameAncestors: ["'none'"]
        },
        referrerPolicy: 'no-referrer',
        xFrameOptions: 'DENY',
        xContentTypeOptions: 'nosniff',
        crossOriginResourcePolicy: 'same-origin',
        crossOriginOpenerPolicy: 'same-origin'
    });
}

/** The host the browser addressed: a reverse proxy's X-Forwarded-Host, else Host. */
function addressedHost(c: Context): string | undefined {
    const forwarded = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
    return forwarded || c.req.header('host') || undefined;
}

const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;
const FORM_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/**
 * CSRF protection for requests authenticated by the session cookie (not by a Bearer header). The page changes state
 * only with form posts, so a cookie-authenticated state change must be a form post, and hono/csrf accepts it only
 * when the browser says it comes from the page itself: `Sec-Fetch-Site: same-origin`, or an `Origin` whose host is
 * the one the browser addressed (so HTTPS ending at a reverse proxy works). Answers 403 otherwise.
 */
export function cookieCsrfProtection(): MiddlewareHandler {
    const check = csrf({
        origin: (origin, c) => {
            try {
                return new URL(origin).host === addressedHost(c);
            } catch {
                return false;
            }
        }
    });
    return async function csrfForCookieSessions(c, next) {
        if (SAFE_METHOD.test(c.req.method) || c.req.header('authorization') !== undefined) return next();
        if (!FORM_TYPE.test(c.req.header('content-type') ?? '')) {
            return c.json(
                {
                    error: 'The admin page sends forms only: a script must authenticate with "Authorization: Bearer <ADMIN_TOKEN>".'
                },
                403
            );
        }
        let reached = false;
        try {
            await check(c, async () => {
                reached = true;
                await next();
            });
        } catch (error) {
            // hono/csrf refuses by throwing before the route runs: answer in words instead of its bare "Forbidden".
            if (reached || !(error instanceof HTTPException) || error.status !== 403) throw error;
            return c.json(
                {
                    error: 'This change did not come from the admin page itself (cross-site request refused): reload the page and try again.'
                },
                403
            );
        }
    };
}
