// The admin views that are not about people or sessions: health, events, quarantined deliveries, the sync log and the
// settings box. Server-rendered with hono/html (every interpolation escaped); changes are plain form posts.
import { html } from 'hono/html';
import type { SettingsProblem } from '../config/settings-text.ts';
import { describeProblem } from '../config/settings-text.ts';
import { layout, postButton, stateBadge, when } from './layout.ts';
import type { Fragment } from './layout.ts';
import type { Notice } from './notices.ts';
import type { DeliveryView, EventView, HealthView, SyncLogView } from './views.ts';

function healthCard(title: string, side: HealthView['salesforce'], extra?: Fragment): Fragment {
    return html`<section class="card" aria-labelledby="health-${title.toLowerCase()}">
        <h2 id="health-${title.toLowerCase()}">${title}</h2>
        <p>${stateBadge(side.state)} <span class="muted">since ${when(side.since)}</span></p>
        ${side.reason ? html`<p>${side.reason}</p>` : ''}
        ${side.fix ? html`<p><strong>What to do:</strong> ${side.fix}</p>` : ''} ${extra ?? ''}
    </section>`;
}

export function overviewPage(health: HealthView, notice?: Notice): Fragment {
    const usage = health.apiUsage ? `${health.apiUsage.used} of ${health.apiUsage.limit}` : 'not known yet';
    const resumable = ['paused_daily_limit', 'paused_budget', 'retrying', 'refused_credentials'].includes(
        health.salesforce.state
    );
    return layout(
        'overview',
        'Health',
        html`<p>
                Listener: ${stateBadge(health.status)}.
                ${
                    health.status === 'unavailable'
                        ? 'Deliveries are refused with 503 until the store commits again.'
                        : 'Deliveries are stored before they are acknowledged.'
                }
            </p>
            <div class="cards">
                ${healthCard(
                    'Salesforce',
                    health.salesforce,
                    resumable
                        ? postButton('/admin/api/salesforce/resume', 'Resume Salesforce now')
                        : undefined
                )}
                ${healthCard('Livestorm', health.livestorm)} ${healthCard('Store', health.store)}
            </div>
            <h2>Activity</h2>
            <table>
                <caption>
                    What the listener holds right now
                </caption>
                <tbody>
                    <tr>
                        <th scope="row">Deliveries waiting to be folded</th>
                        <td class="num">${health.deliveries.pending}</td>
                    </tr>
                    <tr>
                        <th scope="row">Quarantined deliveries</th>
                        <td class="num">
                            <a href="/admin/deliveries">${health.deliveries.quarantined}</a>
                        </td>
                    </tr>
                    <tr>
                        <th scope="row">Sessions with changes not yet written</th>
                        <td class="num">${health.dirtySessions}</td>
                    </tr>
                    <tr>
                        <th scope="row">Salesforce API calls in the last 24 hours (whole org)</th>
                        <td class="num">${usage}</td>
                    </tr>
                    <tr>
                        <th scope="row">Last write to Salesforce (a person or a Campaign)</th>
                        <td class="num">${health.lastSyncAt === null ? 'never' : when(health.lastSyncAt)}</td>
                    </tr>
                </tbody>
            </table>
            <p class="muted">
                Salesforce auth: ${health.salesforceAuth}, API v${health.apiVersion}. Livestorm API:
                ${health.livestormApi.url}
                (${health.livestormApi.tokenConfigured ? 'token set' : 'no token'}). Webhook signatures:
                ${health.webhookSignatures ? 'required' : 'not configured'}.
            </p>`,
        notice
    );
}

export function eventsPage(events: EventView[], notice?: Notice): Fragment {
    return layout(
        'events',
        'Events',
        events.length === 0
            ? html`<p class="muted">No event received yet.</p>`
            : html`<table>
                  <caption>
                      Whether each Livestorm event is synced to Salesforce, and why
                  </caption>
                  <thead>
                      <tr>
                          <th scope="col">Event</th>
                          <th scope="col">Synced</th>
                          <th scope="col">Why</th>
                          <th scope="col">Sessions</th>
                          <th scope="col">Change</th>
                      </tr>
                  </thead>
                  <tbody>
                      ${events.map((event) => {
                          const name = event.title ?? 'Untitled event';
                          const base = `/admin/api/events/${encodeURIComponent(event.eventId)}`;
                          return html`<tr>
                              <td>
                                  ${name}${event.onDemand ? ' (on demand)' : ''}<br /><code class="muted"
                                      >${event.eventId}</code
                                  >
                              </td>
                              <td>${stateBadge(event.enabled ? 'enabled' : 'disabled')}</td>
                              <td>${event.because}</td>
                              <td>
                                  <a href="/admin/sessions?event=${encodeURIComponent(event.eventId)}"
                                      >Sessions of ${name}</a
                                  >
                              </td>
                              <td>
                                  ${
                                      event.enabled
                                          ? postButton(`${base}/disable`, 'Disable', {}, `Disable ${name}`)
                                          : postButton(`${base}/enable`, 'Enable', {}, `Enable ${name}`)
                                  }
                                  ${
                                      event.source === 'command line'
                                          ? postButton(
                                                `${base}/reset`,
                                                'Follow the settings',
                                                {},
                                                `${name}: follow the settings again`
                                            )
                                          : ''
                                  }
                              </td>
                          </tr>`;
                      })}
                  </tbody>
              </table>`,
        notice
    );
}

export function deliveriesPage(deliveries: DeliveryView[], notice?: Notice): Fragment {
    return layout(
        'deliveries',
        'Quarantined deliveries',
        html`<p>
                Deliveries that were acknowledged but could not be used (not JSON, an unknown event, missing
                ids). Fix the cause, then replay one.
            </p>
            ${
                deliveries.length === 0
                    ? html`<p class="muted">Nothing in quarantine.</p>`
                    : html`<table>
                          <thead>
                              <tr>
                                  <th scope="col">Delivery</th>
                                  <th scope="col">Received</th>
                                  <th scope="col">Event</th>
                                  <th scope="col">Reason</th>
                                  <th scope="col">Body</th>
                                  <th scope="col">Replay</th>
                              </tr>
                          </thead>
                          <tbody>
                              ${deliveries.map(
                                  (delivery) =>
                                      html`<tr>
                                          <td class="num">${delivery.id}</td>
                                          <td>${when(delivery.receivedAt)}</td>
                                          <td>${delivery.event ?? '—'}</td>
                                          <td>${delivery.error ?? ''}</td>
                                          <td>
                                              <code
                                                  >${delivery.preview}${
                                                      delivery.size > delivery.preview.length ? '…' : ''
                                                  }</code
                                              >
                                          </td>
                                          <td>
                                              ${postButton(
                                                  `/admin/api/deliveries/${delivery.id}/replay`,
                                                  'Replay',
                                                  {},
                                                  `Replay delivery ${delivery.id}`
                                              )}
                                          </td>
                                      </tr>`
                              )}
                          </tbody>
                      </table>`
            }`,
        notice
    );
}

export function syncLogPage(entries: SyncLogView[], notice?: Notice): Fragment {
    return layout(
        'sync-log',
        'Sync log',
        entries.length === 0
            ? html`<p class="muted">Nothing written to Salesforce yet.</p>`
            : html`<table>
                  <thead>
                      <tr>
                          <th scope="col">At</th>
                          <th scope="col">Session</th>
                          <th scope="col">Kind</th>
                          <th scope="col">API calls</th>
                          <th scope="col">Written</th>
                          <th scope="col">Failed</th>
                          <th scope="col">Message</th>
                      </tr>
                  </thead>
                  <tbody>
                      ${entries.map(
                          (entry) =>
                              html`<tr>
                                  <td>${when(entry.at)}</td>
                                  <td>
                                      ${
                                          entry.sessionId
                                              ? html`<a
                                                    href="/admin/sessions?q=${encodeURIComponent(entry.sessionId)}"
                                                    ><code>${entry.sessionId}</code></a
                                                >`
                                              : '—'
                                      }
                                  </td>
                                  <td>${entry.kind}</td>
                                  <td class="num">${entry.apiCalls}</td>
                                  <td class="num">${entry.ok}</td>
                                  <td class="num">${entry.failed}</td>
                                  <td>${entry.message}</td>
                              </tr>`
                      )}
                  </tbody>
              </table>`,
        notice
    );
}

export interface SettingsPageData {
    /** What the box holds: the settings in force, or the admin's own text when it had problems. */
    text: string;
    configFile: string;
    problems: SettingsProblem[];
    notice?: Notice;
}

export function settingsPage(data: SettingsPageData): Fragment {
    const first = data.problems[0];
    return layout(
        'settings',
        'Settings',
        html`<p>
                Saved to <code>${data.configFile}</code> and applied at once, without a restart. Every key is
                described in the README (field mapping, fallbacks, Contacts or Leads, Campaign name and
                defaults, per-event switches).
            </p>
            ${
                data.problems.length
                    ? html`<div id="settings-problems" class="notice problem">
                          <p>Not saved. Your text is kept below; fix these and save again:</p>
                          <ul>
                              ${data.problems.map((problem) => html`<li>${describeProblem(problem)}</li>`)}
                          </ul>
                      </div>`
                    : ''
            }
            <form method="post" action="/admin/api/settings">
                <label for="settings-text"><strong>Settings (JSON)</strong></label>
                <textarea
                    id="settings-text"
                    name="settings"
                    rows="28"
                    spellcheck="false"
                    ${data.problems.length ? html`aria-describedby="settings-problems" aria-invalid="true"` : ''}
                    ${
                        first
                            ? html`data-problem-line="${first.line}" data-problem-column="${first.column}"`
                            : ''
                    }
                >
${data.text}</textarea>
                <p><button type="submit">Save settings</button></p>
            </form>`,
        data.notice
    );
}
