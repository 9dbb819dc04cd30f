// The frame of every admin view: one style sheet and one script served by the listener (no inline code, so the
// content security policy can forbid it), a skip link and a navigation that keyboards reach first, and the notice
// left by the last action. Every interpolation goes through hono/html, which escapes it.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { assetPath } from './assets.ts';
import type { Notice } from './notices.ts';

export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

export type ViewName = 'overview' | 'people' | 'sessions' | 'events' | 'deliveries' | 'sync-log' | 'settings';

export const VIEWS: readonly { name: ViewName; label: string; path: string }[] = [
    { name: 'overview', label: 'Health', path: '/admin' },
    { name: 'people', label: 'People', path: '/admin/people' },
    { name: 'sessions', label: 'Sessions', path: '/admin/sessions' },
    { name: 'events', label: 'Events', path: '/admin/events' },
    { name: 'deliveries', label: 'Quarantine', path: '/admin/deliveries' },
    { name: 'sync-log', label: 'Sync log', path: '/admin/sync-log' },
    { name: 'settings', label: 'Settings', path: '/admin/settings' }
];

const PRODUCT = 'Livestorm → Salesforce';

function head(title: string): Fragment {
    return html`<head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        <link rel="stylesheet" href="${assetPath('admin.css')}" />
        <script src="${assetPath('admin.js')}" defer></script>
    </head>`;
}

/** The notice of the last action: a status for a confirmation, an alert for a problem. */
export function noticeBox(notice: Notice | undefined): Fragment | string {
    if (!notice) return '';
    return notice.kind === 'done'
        ? html`<div class="notice" role="status">${notice.text}</div>`
        : html`<div class="notice problem" role="alert">${notice.text}</div>`;
}

/** A whole admin view: header with navigation, the notice, then `body` inside <main>. */
export function layout(view: ViewName, title: string, body: Fragment, notice?: Notice): Fragment {
    return html`<!doctype html>
        <html lang="en">
            ${head(`${title} · ${PRODUCT}`)}
            <body>
                <a class="skip" href="#main">Skip to content</a>
                <header>
                    <span class="brand">${PRODUCT}</span>
                    <nav aria-label="Admin views">
                        <ul>
                            ${VIEWS.map(
                                (entry) =>
                                    html`<li>
                                        <a
                                            href="${entry.path}"
                                            ${entry.name === view ? html`aria-current="page"` : ''}
                                            >${entry.label}</a
                                        >
                                    </li>`
                            )}
                        </ul>
                    </nav>
                </header>
                <main id="main" tabindex="-1">
                    <h1>${title}</h1>
                    ${noticeBox(notice)} ${body}
                </main>
            </body>
        </html>`;
}

/** The sign-in form (GET with the token: the listener opens a session and redirects without it). */
export function loginPage(failed: boolean): Fragment {
    return html`<!doctype html>
        <html lang="en">
            ${head(`Sign in · ${PRODUCT}`)}
            <body>
                <main id="main">
                    <h1>${PRODUCT}</h1>
                    ${
                        failed
                            ? html`<div class="notice problem" role="alert">
                                  That token is not the admin token (ADMIN_TOKEN).
                              </div>`
                            : ''
                    }
                    <form method="get" action="/admin" class="search">
                        <label
                            >Admin token
                            <input type="password" name="token" autocomplete="current-password" required
                        /></label>
                        <button type="submit">Open</button>
                    </form>
                </main>
            </body>
        </html>`;
}

/** A button that posts a form (the page's only way to change state, so the CSRF check sees every change). */
export function postButton(
    path: string,
    label: string,
    fields: Record<string, string> = {},
    accessibleLabel?: string
): Fragment {
    return html`<form method="post" action="${path}" class="inline">
        ${Object.entries(fields).map(
            ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`
        )}
        <button type="submit" ${accessibleLabel ? html`aria-label="${accessibleLabel}"` : ''}>
            ${label}
        </button>
    </form>`;
}

/** A state token as the page shows it: a word with a class that colours it. */
export function stateBadge(state: string): Fragment {
    return html`<span class="state state-${state}">${state.replace(/_/g, ' ')}</span>`;
}

/** "2026-03-01 14:05 UTC" for an ISO time or ms since epoch; "—" when null. */
export function when(value: string | number | null): string {
    if (value === null || value === 0) return '—';
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? '—' : `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
