// `npm run demo`: a whole webinar against the emulated org, no accounts needed. Starts the Salesforce emulator, the
// Livestorm simulator and the listener, fills the org with Contacts and Leads (one of them converted), plays the
// webinar through real webhooks (with Livestorm's duplicates and reordering), and tells what happened in the org and
// what it cost in API calls.
import { parseArgs } from 'node:util';
import { playWebinar } from '../emulators/livestorm/scenarios.ts';
import type { WebinarPhase } from '../emulators/livestorm/scenarios.ts';
import { startStack } from '../support/stack.ts';
import { campaignOf, membersOf, statusesOf } from '../support/org.ts';

const demoOptions = {
    registrants: { type: 'string', default: '300' },
    latency: { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
} as const;
let values: ReturnType<typeof parseArgs<{ options: typeof demoOptions }>>['values'];
try {
    ({ values } = parseArgs({ options: demoOptions }));
} catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun "npm run demo -- --help" for the options.\n`);
    process.exit(2);
}
if (values.help) {
    console.log(`Usage: npm run demo [-- --registrants N] [--latency MS] [--keep]

Plays a Livestorm webinar against an emulated Salesforce org and prints what the listener did.
  --registrants N  people who register (default 300)
  --latency MS     emulated Salesforce latency per API call (default 40)
  --keep           keep everything running afterwards (listener, admin page, emulators) until Ctrl+C`);
    process.exit(0);
}
const registrants = Number(values.registrants);
const latencyMs = Number(values.latency);
if (!Number.isInteger(registrants) || registrants < 1 || registrants > 20_000) {
    console.error('--registrants must be a whole number between 1 and 20000');
    process.exit(2);
}

const line = (text = '') => process.stdout.write(`${text}\n`);
const ADMIN_TOKEN = 'demo-admin';
/** The variables that point `npx livestorm-sf` at the demo's store and settings file. */
const commandLineEnvironment = (running: { dataDir: string; configFile: string }): string =>
    `DATA_DIR=${running.dataDir} CONFIG_FILE=${running.configFile}`;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

line('Livestorm → Salesforce demo: emulated org, simulated webinar, the real listener in between.');
const stack = await startStack({
    salesforce: { latencyMs },
    settings: { attendanceReconcileSeconds: 2 },
    adminToken: ADMIN_TOKEN,
    // Livestorm delivers at least once and in no guaranteed order: so does the demo.
    sender: { duplicateRate: 0.05, reorderWindow: 20, seed: 7 }
});
const { emulator, simulator, sender, engine } = stack;
line(
    `  Salesforce emulator ${emulator.instanceUrl} (${latencyMs} ms per API call) · Livestorm simulator ${simulator.apiUrl}`
);
line(`  listener ${stack.listenerUrl}`);
line(`  webhook URL   ${stack.webhookUrl}`);
line(`  admin page    ${stack.listenerUrl}/admin?token=${ADMIN_TOKEN}`);
line(`  its files     ${stack.dataDir} (store and settings; removed when the demo ends)`);
line(`  command line  ${commandLineEnvironment(stack)} npx livestorm-sf events list`);

// What the org already holds: the listener must reuse these people, not duplicate them.
const existingContacts = 25;
const existingLeads = 25;
const existingEmails: string[] = [];
const accountId = emulator.inspect.insert('Account', { Name: 'Northwind Traders' });
for (let index = 0; index < existingContacts; index += 1) {
    const email = `contact${index}@northwind.example.com`;
    emulator.inspect.insert('Contact', {
        FirstName: 'Known',
        LastName: `Contact ${index}`,
        Email: email,
        AccountId: accountId
    });
    existingEmails.push(email);
}
for (let index = 0; index < existingLeads; index += 1) {
    const email = `lead${index}@contoso.example.com`;
    emulator.inspect.insert('Lead', {
        FirstName: 'Known',
        LastName: `Lead ${index}`,
        Company: 'Contoso',
        Email: email
    });
    existingEmails.push(email);
}
const convertedEmail = 'converted@fabrikam.example.com';
const convertedLead = emulator.inspect.insert('Lead', {
    FirstName: 'Conny',
    LastName: 'Verted',
    Company: 'Fabrikam',
    Email: convertedEmail
});
const converted = emulator.inspect.convertLead(convertedLead);
existingEmails.push(convertedEmail);
// The org as it is before the webinar, read back from it: what the summary tells apart as new or reused.
const contactsBefore = new Set(emulator.inspect.records('Contact').map((row) => String(row.Id)));
const leadsBefore = emulator.inspect.records('Lead');
const leadIdsBefore = new Set(leadsBefore.map((row) => String(row.Id)));
const convertedBefore = leadsBefore.filter((row) => row.IsConverted === true).length;
line(
    `  org before: ${contactsBefore.size} Contacts, ${leadsBefore.length} Leads (${convertedBefore} converted to a Contact)`
);
line();

const sessionIdRef: { id?: string } = {};
const phaseLabels: Record<WebinarPhase, string> = {
    event: 'event created',
    published: 'event published, session created',
    registered: `${registrants} registrations`,
    started: 'session started',
    ended: 'session ended, attendance sent',
    replay: 'replays watched'
};
let callsBefore = emulator.inspect.calls().total;
const summary = await playWebinar({
    simulator,
    sender,
    registrants,
    existingEmails,
    attendRate: 0.6,
    replayRate: 0.3,
    unicodeNames: true,
    missingFields: true,
    teamMembers: 2,
    seed: 7,
    title: 'Spring product launch — live demo & Q&A',
    async onPhase(phase) {
        await engine.whenIdle(120_000);
        const calls = emulator.inspect.calls().total;
        line(
            `  ${elapsed().padStart(7)}  ${phaseLabels[phase].padEnd(36)} synced · ${calls - callsBefore} API call${calls - callsBefore === 1 ? '' : 's'}`
        );
        callsBefore = calls;
    }
});
sessionIdRef.id = summary.sessionId;
await engine.whenIdle(120_000);

const campaign = campaignOf(stack, summary.sessionId);
const members = membersOf(stack, String(campaign.Id));
const byStatus = new Map<string, number>();
for (const member of members)
    byStatus.set(String(member.Status), (byStatus.get(String(member.Status)) ?? 0) + 1);
const replays = members.filter((member) => member.Livestorm_Replay_Status__c).length;
const leads = emulator.inspect.records('Lead');
const contacts = emulator.inspect.records('Contact');
const newLeads = leads.filter((row) => !leadIdsBefore.has(String(row.Id))).length;
const newContacts = contacts.filter((row) => !contactsBefore.has(String(row.Id))).length;
const viaContacts = members.filter((member) => contactsBefore.has(String(member.ContactId))).length;
const viaLeads = members.filter((member) => leadIdsBefore.has(String(member.LeadId))).length;
const viaConverted = members.some((member) => member.ContactId === converted.contactId);
// Leads and Contacts sharing an address (a converted Lead lives on as its Contact and is not counted).
const byEmail = new Map<string, number>();
for (const row of [...leads.filter((lead) => lead.IsConverted !== true), ...contacts]) {
    const email = String(row.Email ?? '').toLowerCase();
    if (email) byEmail.set(email, (byEmail.get(email) ?? 0) + 1);
}
const duplicates = [...byEmail.values()].reduce((sum, count) => sum + count - 1, 0);
const failures = await stack.store.listFailures(100);
const calls = emulator.inspect.calls();
const participants = summary.people.filter((person) => person.role === 'participant').length;
const teamMembers = summary.people.filter((person) => person.role === 'team_member');
const teamInOrg = teamMembers.filter((person) =>
    [...leads, ...contacts].some((row) => String(row.Email ?? '').toLowerCase() === person.email)
).length;
const webhooks = sender.stats();

line();
line('What happened in the org');
line(
    `  Campaign      "${campaign.Name}" (${campaign.Id}), StartDate ${campaign.StartDate}, linked by Livestorm_Session_Id__c`
);
line(
    `  Statuses      ${statusesOf(stack, String(campaign.Id))
        .map(
            (row) =>
                `${row.Label}${row.IsDefault ? ' (default)' : ''}${row.HasResponded ? ' (responded)' : ''}`
        )
        .join(', ')}`
);
line(
    `  Members       ${members.length}: ${[...byStatus].map(([status, count]) => `${count} ${status}`).join(', ')}; ${replays} with a Replay Status`
);
line(
    `  People        ${newLeads} new Leads${newContacts ? `, ${newContacts} new Contacts` : ''}; ${viaContacts} members through existing Contacts${viaConverted ? ' (incl. the converted Lead’s Contact)' : ''}, ${viaLeads} through existing Leads; ${duplicates} duplicate Leads or Contacts`
);
line(
    `  Card counts   registrants ${campaign.Livestorm_Registrants__c}, attendees ${campaign.Livestorm_Attendees__c}, no-shows ${campaign.Livestorm_No_Shows__c}, replay viewers ${campaign.Livestorm_Replay_Viewers__c}`
);
line(
    `  Team members  ${teamMembers.length - teamInOrg} of ${teamMembers.length} not synced (hosts), as configured`
);
if (failures.length) {
    line(
        `  Kept for you  ${failures.length} registrant(s) with an error, visible on the admin page and retryable:`
    );
    for (const failure of failures.slice(0, 5))
        line(
            `                - ${failure.state.firstName ?? ''} ${failure.state.lastName ?? ''}: ${failure.failure?.code} — ${failure.failure?.message}`
        );
}
line();
line('What it cost');
line(
    `  Salesforce API calls: ${calls.total} in all (${calls.byKind.composite} composite, ${calls.byKind.query} query, ${calls.byKind.sobject} single-record, ${calls.byKind.describe} describe) for ${participants} registrants`
);
// A per-record integration: per registrant a Contact query, a Lead query, a Lead create when new and a member
// create; then one member update per attendance result and per replay.
const naive = participants * 3 + newLeads + participants + replays;
line(
    `  ≈ ${((calls.total / participants) * 1000).toFixed(1)} calls per 1,000 registrants over the whole webinar, where a per-record integration makes ${naive} calls (≈ ${Math.round((naive / participants) * 1000)} per 1,000)`
);
line(
    `  Livestorm API calls: ${simulator.calls().total} (event title, session details) — never one per person`
);
line(
    `  Webhooks: ${webhooks.sent} delivered and acknowledged (incl. ${webhooks.duplicates} duplicates), ${webhooks.abandoned + webhooks.dropped} not acknowledged; ${elapsed()} in all`
);
line();
if (values.keep) {
    line(`Still running until Ctrl+C.`);
    line(`  admin page    ${stack.listenerUrl}/admin?token=${ADMIN_TOKEN}`);
    line(`  webhook URL   ${stack.webhookUrl}`);
    line(`  command line  ${commandLineEnvironment(stack)} npx livestorm-sf people show <e-mail>`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}
await stack.close();
