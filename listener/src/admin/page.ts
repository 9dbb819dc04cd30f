// The admin page: server-rendered with hono/html (every interpolation is escaped), plain forms for the actions, one
// small CSS block, no scripts and no build step.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Settings } from '../config/settings.ts';
import type { DeliveryView, EventView, FailureView, HealthView, SessionView, SyncLogView } from './views.ts';

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
:root { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; background: #f6f7f9; }
body { max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #d8dbe0; padding-bottom: 0.25rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #eceef1; vertical-align: top; }
th { font-weight: 600; background: #eef0f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #fff; padding: 0.75rem; overflow: auto; border: 1px solid #eceef1; }
form { display: inline; margin: 0; }
form.settings { display: block; }
form.settings label { display: block; margin-bottom: 0.25rem; }
textarea { width: 100%; box-sizing: border-box; font: 12px/1.4 ui-monospace, monospace; }
button { font: inherit; padding: 0.1rem 0.6rem; cursor: pointer; }
.ok { color: #17702e; } .bad { color: #b3261e; } .muted { color: #6b7280; }
.cards { display: flex; flex-wrap: wrap; gap: 0.75rem; }
.card { background: #fff; border: 1px solid #eceef1; padding: 0.5rem 0.9rem; min-width: 10rem; }
.card b { display: block; font-size: 1.2rem; }
`;

function layout(title: string, body: Fragment): Fragment {
    return html`<!doctype html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="referrer" content="no-referrer" />
                <title>${title}</title>
                <style>
                    ${raw(STYLE)}
                </style>
            </head>
            <body>
                ${body}
            </body>
        </html>`;
}

export function loginPage(failed: boolean): Fragment {
    return layout(
        'Livestorm → Salesforce: sign in',
        html`<h1>Livestorm → Salesforce</h1>
            ${failed ? html`<p class="bad">That token is not the admin token.</p>` : ''}
            <form method="get" action="/admin">
                <label
                    >Admin token <input type="password" name="token" autocomplete="current-password" required
                /></label>
                <button type="submit">Open</button>
            </form>`
    );
}

const date = (unixSeconds: number): string =>
    unixSeconds > 0
        ? new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
        : '—';

function action(path: string, label: string): Fragment {
    return html`<form method="post" action="${path}"><button type="submit">${label}</button></form>`;
}

function healthSection(health: HealthView): Fragment {
    const engine = health.engine;
    const usage = engine.apiUsage ? `${engine.apiUsage.used} / ${engine.apiUsage.limit}` : 'not known yet';
    return html`<h2 id="health">Health</h2>
        <div class="cards">
            <div class="card">
                Listener<b class="${health.status === 'ok' ? 'ok' : 'bad'}">${health.status}</b>
            </div>
            <div class="card">
                Salesforce<b class="${engine.salesforce === 'connected' ? 'ok' : 'bad'}"
                    >${engine.salesforce}</b
                >
            </div>
            <div class="card">Pending deliveries<b>${health.deliveries.pending}</b></div>
            <div class="card">Quarantined<b>${health.deliveries.quarantined}</b></div>
            <div class="card">Sessions to sync<b>${engine.dirtySessions}</b></div>
            <div class="card">API calls today<b>${usage}</b></div>
            <div class="card">
                Last sync<b
                    >${engine.lastSyncAt ? new Date(engine.lastSyncAt).toISOString().slice(0, 19) + 'Z' : '—'}</b
                >
            </div>
        </div>
        ${engine.detail ? html`<p class="bad">${engine.detail}</p>` : ''}
        <p class="muted">
            Auth: ${health.salesforceAuth}, API v${health.apiVersion}. Livestorm API:
            ${health.livestormApi.url} (${health.livestormApi.tokenConfigured ? 'token set' : 'no token'}).
            Webhook signatures: ${health.webhookSignatures ? 'required' : 'not configured'}.
        </p>`;
}

function sessionsSection(sessions: SessionView[]): Fragment {
    return html`<h2 id="sessions">Sessions and Campaigns</h2>
        ${
            sessions.length === 0
                ? html`<p class="muted">No session received yet.</p>`
                : html`<table>
                      <tr>
                          <th>Event</th>
                          <th>Session</th>
                          <th>Starts</th>
                          <th>Status</th>
                          <th>Campaign</th>
                          <th>Registrants</th>
                          <th>Attendees</th>
                          <th>No-shows</th>
                          <th>Replay</th>
                          <th>Sync</th>
                      </tr>
                      ${sessions.map(
                          (s) =>
                              html`<tr>
                                  <td>${s.eventTitle ?? html`<span class="muted">${s.eventId}</span>`}</td>
                                  <td>
                                      <code>${s.sessionId}</code
                                      >${s.sessionName ? html`<br />${s.sessionName}` : ''}
                                  </td>
                                  <td>${date(s.startsAt)}</td>
                                  <td>${s.status}</td>
                                  <td>
                                      ${
                                          s.campaignUrl
                                              ? html`<a href="${s.campaignUrl}" target="_blank" rel="noopener"
                                                    >${s.campaignId}</a
                                                >`
                                              : (s.campaignId ??
                                                html`<span class="muted">not created yet</span>`)
                                      }
                                  </td>
                                  <td class="num">${s.counts.registrants}</td>
                                  <td class="num">${s.counts.attendees}</td>
                                  <td class="num">${s.counts.noShows}</td>
                                  <td class="num">${s.counts.replayViewers}</td>
                                  <td>
                                      ${
                                          s.failure
                                              ? html`<span class="bad">${s.failure}</span>`
                                              : s.inSync
                                                ? html`<span class="ok">in sync</span>`
                                                : html`<span class="muted">pending</span>`
                                      }
                                  </td>
                              </tr>`
                      )}
                  </table>`
        }`;
}

function eventsSection(events: EventView[]): Fragment {
    return html`<h2 id="events">Events</h2>
        ${
            events.length === 0
                ? html`<p class="muted">No event known yet.</p>`
                : html`<table>
                      <tr>
                          <th>Event</th>
                          <th>Id</th>
                          <th>Synced</th>
                          <th>Why</th>
                          <th></th>
                      </tr>
                      ${events.map(
                          (e) =>
                              html`<tr>
                                  <td>
                                      ${e.title ?? html`<span class="muted">untitled</span>`}${e.onDemand ? ' (on demand)' : ''}
                                  </td>
                                  <td><code>${e.eventId}</code></td>
                                  <td class="${e.enabled ? 'ok' : 'bad'}">
                                      ${e.enabled ? 'enabled' : 'disabled'}
                                  </td>
                                  <td class="muted">${e.because}</td>
                                  <td>
                                      ${
                                          e.enabled
                                              ? action(
                                                    `/admin/api/events/${encodeURIComponent(e.eventId)}/disable`,
                                                    'Disable'
                                                )
                                              : action(
                                                    `/admin/api/events/${encodeURIComponent(e.eventId)}/enable`,
                                                    'Enable'
                                                )
                                      }
                                      ${
                                          e.source === 'command line'
                                              ? action(
                                                    `/admin/api/events/${encodeURIComponent(e.eventId)}/reset`,
                                                    'Reset'
                                                )
                                              : ''
                                      }
                                  </td>
                              </tr>`
                      )}
                  </table>`
        }`;
}

function quarantineSection(deliveries: DeliveryView[]): Fragment {
    return html`<h2 id="quarantine">Quarantined deliveries</h2>
        ${
            deliveries.length === 0
                ? html`<p class="muted">Nothing in quarantine.</p>`
                : html`<table>
                      <tr>
                          <th>Id</th>
                          <th>Received</th>
                          <th>Event</th>
                          <th>Reason</th>
                          <th>Body</th>
                          <th></th>
                      </tr>
                      ${deliveries.map(
                          (d) =>
                              html`<tr>
                                  <td class="num">${d.id}</td>
                                  <td>${d.receivedAt}</td>
                                  <td>${d.event ?? '—'}</td>
                                  <td class="bad">${d.error ?? ''}</td>
                                  <td><code>${d.preview}${d.size > d.preview.length ? '…' : ''}</code></td>
                                  <td>${action(`/admin/api/deliveries/${d.id}/replay`, 'Replay')}</td>
                              </tr>`
                      )}
                  </table>`
        }`;
}

function failuresSection(failures: FailureView[]): Fragment {
    return html`<h2 id="failures">Failed records</h2>
        ${
            failures.length === 0
                ? html`<p class="muted">No failed record.</p>`
                : html`<p>${action('/admin/api/retry', 'Retry all now')}</p>
                      <table>
                          <tr>
                              <th>Person</th>
                              <th>Session</th>
                              <th>Error</th>
                              <th>Fields</th>
                              <th>Attempts</th>
                              <th>Next try</th>
                          </tr>
                          ${failures.map(
                              (f) =>
                                  html`<tr>
                                      <td>${f.email ?? html`<span class="muted">${f.personId}</span>`}</td>
                                      <td><code>${f.sessionId}</code></td>
                                      <td class="bad">${f.code}: ${f.message}</td>
                                      <td>${f.fields.join(', ')}</td>
                                      <td class="num">${f.attempts}</td>
                                      <td>${f.nextAttemptAt}</td>
                                  </tr>`
                          )}
                      </table>`
        }`;
}

function syncLogSection(entries: SyncLogView[]): Fragment {
    return html`<h2 id="sync-log">Sync log</h2>
        ${
            entries.length === 0
                ? html`<p class="muted">Nothing written to Salesforce yet.</p>`
                : html`<table>
                      <tr>
                          <th>At</th>
                          <th>Session</th>
                          <th>Kind</th>
                          <th>API calls</th>
                          <th>OK</th>
                          <th>Failed</th>
                          <th>Message</th>
                      </tr>
                      ${entries.map(
                          (e) =>
                              html`<tr>
                                  <td>${e.at}</td>
                                  <td><code>${e.sessionId ?? '—'}</code></td>
                                  <td>${e.kind}</td>
                                  <td class="num">${e.apiCalls}</td>
                                  <td class="num">${e.ok}</td>
                                  <td class="num ${e.failed > 0 ? 'bad' : ''}">${e.failed}</td>
                                  <td>${e.message}</td>
                              </tr>`
                      )}
                  </table>`
        }`;
}

export interface AdminPageData {
    health: HealthView;
    sessions: SessionView[];
    events: EventView[];
    quarantine: DeliveryView[];
    failures: FailureView[];
    syncLog: SyncLogView[];
    settings: Settings;
    configFile: string;
    settingsError: string | null;
}

export function adminPage(data: AdminPageData): Fragment {
    return layout(
        'Livestorm → Salesforce',
        html`<h1>Livestorm → Salesforce</h1>
            <p class="muted">
                <a href="#sessions">Sessions</a> · <a href="#events">Events</a> ·
                <a href="#quarantine">Quarantine</a> · <a href="#failures">Failed records</a> ·
                <a href="#sync-log">Sync log</a> · <a href="#settings">Settings</a>
            </p>
            ${healthSection(data.health)} ${sessionsSection(data.sessions)} ${eventsSection(data.events)}
            ${quarantineSection(data.quarantine)} ${failuresSection(data.failures)}
            ${syncLogSection(data.syncLog)}
            <h2 id="settings">Settings</h2>
            <p class="muted">
                Saved to <code>${data.configFile}</code> and applied at once. Field mapping, fallbacks,
                Contacts or Leads, Campaign name and defaults, per-event switches: every key is described in
                the README.
            </p>
            ${data.settingsError ? html`<p class="bad" role="alert">Not saved: ${data.settingsError}</p>` : ''}
            <form method="post" action="/admin/api/settings" class="settings">
                <label for="settings-json">Settings (JSON)</label>
                <textarea id="settings-json" name="settings" rows="24" spellcheck="false">
${JSON.stringify(data.settings, null, 2)}</textarea>
                <button type="submit">Save settings</button>
            </form>`
    );
}
