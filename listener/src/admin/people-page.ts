// The people view: "did this registrant make it into the Campaign, and if not, why?" Search by e-mail or name; each
// registration shows what Livestorm said, the Lead or Contact with a link into the org, the Campaign member status as
// last written, and when it is not written: the state, the reason, the next attempt or the error with its fix, the
// warnings, and a Retry button. The statuses come from sync/person-status.ts, as for the API and the command line.
import { html } from 'hono/html';
import type { PersonStatus } from '../sync/person-status.ts';
import { layout, postButton, stateBadge, when } from './layout.ts';
import type { Fragment } from './layout.ts';
import type { Notice } from './notices.ts';

export interface PeoplePageData {
    q: string;
    /** The session the view is filtered on, with what names it for the admin. */
    session: { id: string; label: string } | null;
    people: PersonStatus[];
    /** Query string of the next page, null on the last one. */
    nextPage: string | null;
    notice?: Notice;
}

const ATTENDANCE: Record<PersonStatus['livestorm']['attendance'], string> = {
    registered: 'registered',
    attended: 'attended',
    not_attended: 'did not attend'
};

function personCell(person: PersonStatus): Fragment {
    return html`<td>
        <strong>${person.name ?? 'No name'}</strong><br />${person.email ?? html`<em>no usable e-mail</em>`}
    </td>`;
}

function sessionCell(person: PersonStatus): Fragment {
    return html`<td>
        ${person.eventTitle ?? html`<span class="muted">event ${person.eventId}</span>`}<br /><span
            class="muted"
            >${when(person.sessionStart)}</span
        >
    </td>`;
}

function recordCell(person: PersonStatus): Fragment {
    const record = person.salesforce;
    if (record.object === null || record.id === null)
        return html`<td class="muted">not in Salesforce yet</td>`;
    const label = `${record.object}: ${person.name ?? person.email ?? record.id}`;
    return html`<td>
        ${record.url ? html`<a href="${record.url}" target="_blank" rel="noopener noreferrer">${label}</a>` : label}
        <br /><code class="muted">${record.id}</code>
    </td>`;
}

function memberCell(person: PersonStatus): Fragment {
    const record = person.salesforce;
    if (record.memberStatus === null) return html`<td class="muted">not written yet</td>`;
    return html`<td>
        <span data-field="member-status">${record.memberStatus}</span><br /><span class="muted"
            >written ${when(record.writtenAt)}</span
        >
    </td>`;
}

function stateCell(person: PersonStatus): Fragment {
    const retryable = person.state === 'failed' || person.state === 'waiting';
    return html`<td>
        ${stateBadge(person.state)} ${person.reason ? html`<p>${person.reason}</p>` : ''}
        ${person.nextAttemptAt ? html`<p class="muted">Next attempt: ${when(person.nextAttemptAt)}</p>` : ''}
        ${
            person.error
                ? html`<p>
                      <code>${person.error.code}</code>: ${person.error.message}
                      <span class="fix"><strong>Fix:</strong> ${person.error.fix}</span>
                  </p>`
                : ''
        }
        ${
            person.warnings.length
                ? html`<ul class="plain">
                      ${person.warnings.map((warning) => html`<li>Warning: ${warning}</li>`)}
                  </ul>`
                : ''
        }
        ${
            retryable
                ? postButton(
                      '/admin/api/people/retry',
                      'Retry',
                      { sessionId: person.sessionId, personId: person.personId },
                      `Retry ${person.email ?? person.name ?? person.personId} now`
                  )
                : ''
        }
    </td>`;
}

export function peoplePage(data: PeoplePageData): Fragment {
    return layout(
        'people',
        'People',
        html`<form method="get" action="/admin/people" class="search" role="search">
                <label for="people-q"
                    >E-mail or name
                    <input
                        id="people-q"
                        type="search"
                        name="q"
                        value="${data.q}"
                        autocomplete="off"
                        placeholder="jane@acme.com"
                /></label>
                ${data.session ? html`<input type="hidden" name="session" value="${data.session.id}" />` : ''}
                <button type="submit">Search</button>
            </form>
            ${
                data.session
                    ? html`<p>
                          Only the session ${data.session.label}.
                          <a href="/admin/people${data.q ? `?q=${encodeURIComponent(data.q)}` : ''}"
                              >All sessions</a
                          >
                      </p>`
                    : ''
            }
            ${
                data.people.length === 0
                    ? html`<p>
                          ${data.q ? `No registrant matches “${data.q}”.` : 'No registrant received yet.'}
                      </p>`
                    : html`<table>
                          <caption>
                              Each registration: what Livestorm reported and where it is in Salesforce
                          </caption>
                          <thead>
                              <tr>
                                  <th scope="col">Person</th>
                                  <th scope="col">Event and session</th>
                                  <th scope="col">Livestorm</th>
                                  <th scope="col">Lead or Contact</th>
                                  <th scope="col">Campaign member status</th>
                                  <th scope="col">State</th>
                              </tr>
                          </thead>
                          <tbody>
                              ${data.people.map(
                                  (person) =>
                                      html`<tr data-person="${person.email ?? person.personId}">
                                          ${personCell(person)} ${sessionCell(person)}
                                          <td>
                                              ${ATTENDANCE[person.livestorm.attendance]}<br />${
                                                  person.livestorm.replayWatched
                                                      ? 'watched the replay'
                                                      : html`<span class="muted">no replay</span>`
                                              }
                                          </td>
                                          ${recordCell(person)} ${memberCell(person)} ${stateCell(person)}
                                      </tr>`
                              )}
                          </tbody>
                      </table>`
            }
            ${
                data.nextPage
                    ? html`<p class="pager"><a href="/admin/people?${data.nextPage}">Next page</a></p>`
                    : ''
            }`,
        data.notice
    );
}
