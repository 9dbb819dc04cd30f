// The sessions view: each Livestorm session with its Campaign (Name as last read or written, and a link that opens it
// in the org), what Livestorm reports for its registrants, and DESIGN's session state with its reason; sessions with
// refused people link to the people view filtered on them. Search and pages are bounded store reads.
import { html } from 'hono/html';
import { layout, stateBadge, when } from './layout.ts';
import type { Fragment } from './layout.ts';
import type { Notice } from './notices.ts';
import type { SessionView } from './views.ts';

export interface SessionsPageData {
    q: string;
    eventId: string | null;
    sessions: SessionView[];
    nextPage: string | null;
    notice?: Notice;
}

function campaignCell(session: SessionView): Fragment {
    const campaign = session.campaign;
    if (campaign.id === null) return html`<td class="muted">not created yet</td>`;
    const name = campaign.name ?? 'Campaign';
    return html`<td>
        ${
            campaign.url
                ? html`<a href="${campaign.url}" target="_blank" rel="noopener noreferrer">${name}</a>`
                : name
        }<br /><code class="muted">${campaign.id}</code>
    </td>`;
}

function countsCell(session: SessionView): Fragment {
    const members = Object.entries(session.members);
    const counts = session.counts;
    return html`<td>
        ${
            members.length
                ? html`<dl class="counts">
                      ${members.map(
                          ([status, count]) =>
                              html`<dt>${status}</dt>
                                  <dd data-status="${status}">${count}</dd>`
                      )}
                  </dl>`
                : html`<span class="muted">no member written yet</span>`
        }
        <p class="muted">
            Livestorm: ${counts.registrants} registered, ${counts.attendees} attended, ${counts.noShows} did
            not attend, ${counts.replayViewers} watched the replay
        </p>
    </td>`;
}

export function sessionsPage(data: SessionsPageData): Fragment {
    return layout(
        'sessions',
        'Sessions',
        html`<form method="get" action="/admin/sessions" class="search" role="search">
                <label for="sessions-q"
                    >Event, session or Campaign
                    <input id="sessions-q" type="search" name="q" value="${data.q}" autocomplete="off"
                /></label>
                ${data.eventId ? html`<input type="hidden" name="event" value="${data.eventId}" />` : ''}
                <button type="submit">Search</button>
            </form>
            ${
                data.eventId
                    ? html`<p>Only the sessions of one event. <a href="/admin/sessions">All sessions</a></p>`
                    : ''
            }
            ${
                data.sessions.length === 0
                    ? html`<p>${data.q ? `No session matches “${data.q}”.` : 'No session received yet.'}</p>`
                    : html`<table>
                          <caption>
                              Sessions, newest first, and their Campaigns (counts as Livestorm reports them,
                              team members left out)
                          </caption>
                          <thead>
                              <tr>
                                  <th scope="col">Event and session</th>
                                  <th scope="col">Campaign</th>
                                  <th scope="col">Campaign members by status</th>
                                  <th scope="col">State</th>
                                  <th scope="col">Instance</th>
                              </tr>
                          </thead>
                          <tbody>
                              ${data.sessions.map(
                                  (session) =>
                                      html`<tr data-session="${session.sessionId}">
                                          <td>
                                              <strong
                                                  >${session.eventTitle ?? html`event ${session.eventId}`}</strong
                                              >${session.sessionName ? html`<br />${session.sessionName}` : ''}<br /><span
                                                  class="muted"
                                                  >${when(session.startsAt)} · ${session.status}</span
                                              ><br /><code class="muted">${session.sessionId}</code>
                                          </td>
                                          ${campaignCell(session)} ${countsCell(session)}
                                          <td>
                                              ${stateBadge(session.state)}
                                              <p>${session.reason}</p>
                                              ${
                                                  session.failedPeople > 0
                                                      ? html`<a
                                                            href="/admin/people?session=${encodeURIComponent(
                                                                session.sessionId
                                                            )}"
                                                            >See the ${session.failedPeople} refused
                                                            ${session.failedPeople === 1 ? 'person' : 'people'}</a
                                                        >`
                                                      : html`<a
                                                            href="/admin/people?session=${encodeURIComponent(
                                                                session.sessionId
                                                            )}"
                                                            >People of this session</a
                                                        >`
                                              }
                                          </td>
                                          <td>
                                              ${
                                                  session.writer === null
                                                      ? html`<span class="muted">none yet</span>`
                                                      : session.writer.writing
                                                        ? html`<code>${session.writer.instance}</code> writing
                                                              now`
                                                        : session.writer.stoppedUntil
                                                          ? html`<code>${session.writer.instance}</code>
                                                                stopped while writing; its lease ends
                                                                ${when(session.writer.stoppedUntil)}`
                                                          : html`<span class="muted">last written by</span>
                                                                <code>${session.writer.instance}</code>`
                                              }
                                          </td>
                                      </tr>`
                              )}
                          </tbody>
                      </table>`
            }
            ${
                data.nextPage
                    ? html`<p class="pager"><a href="/admin/sessions?${data.nextPage}">Next page</a></p>`
                    : ''
            }`,
        data.notice
    );
}
