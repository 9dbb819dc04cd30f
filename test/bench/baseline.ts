// The naive baseline: how per-record integrations sync a webinar. Per registrant, a Contact query and a Lead query
// by e-mail, a Lead created when neither exists, then a CampaignMember; per attendance result and per replay, one
// CampaignMember update. A pool of 10 workers, each handling one item at a time, keeps 10 requests in flight at most.

export interface BaselinePerson {
    personId: string;
    email: string;
    firstName: string;
    lastName: string;
    company?: string;
}

export interface BaselineOptions {
    instanceUrl: string;
    accessToken: string;
    apiVersion: string;
    /** Requests in flight at once. Default 10. */
    concurrency?: number;
}

export interface Baseline {
    /** Creates the Campaign, then its three statuses (Salesforce's own "Sent" and "Responded" stay). */
    createCampaign(name: string, sessionId: string): Promise<string>;
    register(person: BaselinePerson): Promise<void>;
    attendance(personId: string, attended: boolean, durationSec: number): Promise<void>;
    replay(personId: string, watchedAtSec: number): Promise<void>;
    /** Remembers a member created elsewhere (seeded), as if this integration had registered the person. */
    adopt(personId: string, memberId: string): void;
    /** HTTP requests this integration made. */
    requests(): number;
}

/** A SOQL string literal: every character SOQL treats as special is escaped. */
export function soqlLiteral(value: string): string {
    const escaped = value.replace(/[\\'"\n\r\t\b\f]/g, (character) => {
        switch (character) {
            case '\n':
                return '\\n';
            case '\r':
                return '\\r';
            case '\t':
                return '\\t';
            case '\b':
                return '\\b';
            case '\f':
                return '\\f';
            default:
                return `\\${character}`;
        }
    });
    return `'${escaped}'`;
}

function createPool(size: number): <T>(task: () => Promise<T>) => Promise<T> {
    let active = 0;
    const waiting: Array<() => void> = [];
    return async (task) => {
        if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
        else active += 1;
        try {
            return await task();
        } finally {
            const next = waiting.shift();
            if (next) next();
            else active -= 1;
        }
    };
}

export const MEMBER_STATUSES = { registered: 'Registered', attended: 'Attended', noShow: 'Did not attend' } as const;

export function createBaseline(options: BaselineOptions): Baseline {
    const base = `${options.instanceUrl}/services/data/v${options.apiVersion}`;
    const pool = createPool(options.concurrency ?? 10);
    const memberIds = new Map<string, string>();
    let campaignId: string | undefined;
    let requestCount = 0;

    async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
        requestCount += 1;
        const response = await fetch(`${base}${path}`, {
            method,
            headers: {
                Authorization: `Bearer ${options.accessToken}`,
                ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
            },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
        return (text ? JSON.parse(text) : undefined) as T;
    }

    const query = (soql: string) =>
        call<{ records: Array<{ Id: string }> }>('GET', `/query?q=${encodeURIComponent(soql)}`);

    function memberOf(personId: string): string {
        const id = memberIds.get(personId);
        if (!id) throw new Error(`no CampaignMember known for person ${personId}`);
        return id;
    }

    return {
        async createCampaign(name, sessionId) {
            const created = await call<{ id: string }>('POST', '/sobjects/Campaign', {
                Name: name,
                IsActive: true,
                Type: 'Webinar',
                Livestorm_Session_Id__c: sessionId
            });
            campaignId = created.id;
            const statuses = [
                { Label: MEMBER_STATUSES.registered, SortOrder: 3, IsDefault: true, HasResponded: false },
                { Label: MEMBER_STATUSES.attended, SortOrder: 4, IsDefault: false, HasResponded: true },
                { Label: MEMBER_STATUSES.noShow, SortOrder: 5, IsDefault: false, HasResponded: false }
            ];
            for (const status of statuses) await call('POST', '/sobjects/CampaignMemberStatus', { CampaignId: campaignId, ...status });
            return campaignId;
        },
        register: (person) =>
            pool(async () => {
                if (!campaignId) throw new Error('createCampaign first');
                const email = soqlLiteral(person.email);
                const contacts = await query(`SELECT Id FROM Contact WHERE Email = ${email} ORDER BY CreatedDate LIMIT 1`);
                const leads = await query(`SELECT Id FROM Lead WHERE Email = ${email} AND IsConverted = false ORDER BY CreatedDate LIMIT 1`);
                const contactId = contacts.records[0]?.Id;
                let leadId = leads.records[0]?.Id;
                if (!contactId && !leadId) {
                    const lead = await call<{ id: string }>('POST', '/sobjects/Lead', {
                        FirstName: person.firstName,
                        LastName: person.lastName,
                        Email: person.email,
                        Company: person.company ?? '[not provided]'
                    });
                    leadId = lead.id;
                }
                const member = await call<{ id: string }>('POST', '/sobjects/CampaignMember', {
                    CampaignId: campaignId,
                    ...(contactId ? { ContactId: contactId } : { LeadId: leadId }),
                    Status: MEMBER_STATUSES.registered,
                    Livestorm_Person_Id__c: person.personId
                });
                memberIds.set(person.personId, member.id);
            }),
        attendance: (personId, attended, durationSec) =>
            pool(() =>
                call('PATCH', `/sobjects/CampaignMember/${memberOf(personId)}`, {
                    Status: attended ? MEMBER_STATUSES.attended : MEMBER_STATUSES.noShow,
                    Livestorm_Attendance_Duration__c: attended ? durationSec : 0
                })
            ).then(() => undefined),
        replay: (personId, watchedAtSec) =>
            pool(() =>
                call('PATCH', `/sobjects/CampaignMember/${memberOf(personId)}`, {
                    Livestorm_Replay_Status__c: 'Has watched replay',
                    Livestorm_Replay_Watched_At__c: new Date(watchedAtSec * 1000).toISOString()
                })
            ).then(() => undefined),
        adopt(personId, memberId) {
            memberIds.set(personId, memberId);
        },
        requests: () => requestCount
    };
}
