// `livestorm-sf people show <e-mail>`: "did this registrant make it into the Campaign, and if not, why?" from the
// command line. The same statuses as the admin page and `GET /admin/api/people` (sync/person-status.ts), read from the
// store the running listener uses; Salesforce and Livestorm health come from what the listener last saved there.
import { MAX_PEOPLE_LIMIT, searchPersonStatuses } from '../sync/person-status.ts';
import type { PersonStatus } from '../sync/person-status.ts';
import type { CliCommand } from './command.ts';
import { instanceUrlFrom, withStore } from './context.ts';

const ATTENDANCE: Record<PersonStatus['livestorm']['attendance'], string> = {
    registered: 'registered',
    attended: 'attended',
    not_attended: 'did not attend'
};

const when = (iso: string | null): string =>
    iso === null ? '—' : `${iso.replace('T', ' ').slice(0, 16)} UTC`;

/** One registration as lines of text. */
export function describePerson(person: PersonStatus): string[] {
    const record = person.salesforce;
    const lines = [
        `${person.email ?? '(no usable e-mail)'} — ${person.name ?? 'no name'}`,
        `  Event       ${person.eventTitle ?? person.eventId}, session of ${when(person.sessionStart)} (${person.sessionId})`,
        `  Livestorm   ${ATTENDANCE[person.livestorm.attendance]}${person.livestorm.replayWatched ? ', watched the replay' : ''}`,
        `  Salesforce  ${record.object && record.id ? `${record.object} ${record.id}${record.url ? ` ${record.url}` : ''}` : 'no Lead or Contact yet'}`,
        `  Campaign    ${record.memberStatus ? `member status "${record.memberStatus}", written ${when(record.writtenAt)}` : 'not a Campaign member yet'}`,
        `  State       ${person.state}${person.reason ? `: ${person.reason}` : ''}`
    ];
    if (person.nextAttemptAt) lines.push(`  Next try    ${when(person.nextAttemptAt)}`);
    if (person.error) {
        lines.push(`  Error       ${person.error.code}: ${person.error.message}`);
        lines.push(`  Fix         ${person.error.fix}`);
    }
    for (const warning of person.warnings) lines.push(`  Warning     ${warning}`);
    return lines;
}

export const peopleShow: CliCommand = {
    name: 'people show',
    summary: 'show where one registrant is in Salesforce, and why not when they are not',
    args: '<e-mail>',
    arity: [1, 1],
    options: { json: { type: 'boolean', help: 'print the PersonStatus items as JSON' } },
    details:
        'Every registration of that e-mail (one per session), as the admin page shows it. Exit code 0 when found, 1 when no registrant has that e-mail, 2 on a usage error.',
    async run({ positionals, values }, ctx) {
        const email = (positionals[0] ?? '').trim();
        if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
            ctx.stderr(
                `"${email}" is not an e-mail address.\n\nUsage: livestorm-sf people show <e-mail> [--json]`
            );
            return 2;
        }
        return withStore(ctx, async (store, config) => {
            const settings = await ctx.loadSettings(config.configFile);
            const deps = {
                store,
                settings,
                instanceUrl: () => instanceUrlFrom(ctx),
                livestormConfigured: Boolean(ctx.env.LIVESTORM_API_TOKEN?.trim())
            };
            // The search matches substrings: keep the registrations of exactly this address, page after page.
            const wanted = email.toLowerCase();
            const found: PersonStatus[] = [];
            let cursor: string | null = null;
            do {
                const page: { people: PersonStatus[]; nextCursor: string | null } =
                    await searchPersonStatuses(deps, {
                        q: wanted,
                        limit: MAX_PEOPLE_LIMIT,
                        cursor
                    });
                found.push(...page.people.filter((person) => person.email?.trim().toLowerCase() === wanted));
                cursor = page.nextCursor;
            } while (cursor !== null);
            if (values.json) {
                ctx.stdout(JSON.stringify(found, null, 2));
                return found.length ? 0 : 1;
            }
            if (found.length === 0) {
                ctx.stderr(
                    `No registrant with the e-mail ${email} in the store at ${config.databaseUrl ? 'DATABASE_URL' : config.dataDir}. Check the address, or that DATA_DIR / DATABASE_URL is the running listener's.`
                );
                return 1;
            }
            ctx.stdout(found.map((person) => describePerson(person).join('\n')).join('\n\n'));
            return 0;
        });
    }
};
