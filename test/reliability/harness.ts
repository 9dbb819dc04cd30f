// Shared pieces of the reliability suites: how big a run is (`npm test` runs the short version, `npm run
// test:reliability` sets RELIABILITY=full), the emulated org and Livestorm beside a listener process, readers of the
// org's final state, and the one line of figures each suite prints.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator, SalesforceEmulatorOptions } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { startListenerProcess } from '../support/listener-process.ts';
import type { ListenerProcess } from '../support/listener-process.ts';

/** True under `npm run test:reliability`. */
export const FULL = process.env.RELIABILITY === 'full';

/** The CI figure, or the full run's. */
export function scaled(ci: number, full: number): number {
    return FULL ? full : ci;
}

/** Prints one suite's figures on one line, e.g. `[reliability] fuzz: bodies=1000, 5xx=0`. */
export function report(suite: string, figures: Record<string, number | string>): void {
    const line = Object.entries(figures)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
    console.log(`[reliability] ${suite}: ${line}`);
}

export const WEBHOOK_TOKEN = 'reliability-webhook-token-0123456789';

export interface Rig {
    emulator: SalesforceEmulator;
    simulator: LivestormSimulator;
    dataDir: string;
    env: Record<string, string>;
    listener: ListenerProcess | undefined;
    webhookUrl(): string;
    /** Starts (or restarts) the listener process on the same data directory. */
    start(extraEnv?: Record<string, string>): Promise<ListenerProcess>;
    close(): Promise<void>;
}

/** The org, Livestorm and a data directory; the listener is started with `rig.start()`. */
export async function startRig(
    options: { salesforce?: SalesforceEmulatorOptions; env?: Record<string, string> } = {}
): Promise<Rig> {
    const emulator = await startSalesforceEmulator(options.salesforce);
    const simulator = await startLivestormSimulator();
    const dataDir = await mkdtemp(join(tmpdir(), 'lsf-reliability-'));
    const env: Record<string, string> = {
        SF_INSTANCE_URL: emulator.instanceUrl,
        SF_ACCESS_TOKEN: emulator.accessToken,
        LIVESTORM_API_URL: simulator.apiUrl,
        LIVESTORM_API_TOKEN: simulator.token,
        LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        DATA_DIR: dataDir,
        ...options.env
    };
    const rig: Rig = {
        emulator,
        simulator,
        dataDir,
        env,
        listener: undefined,
        webhookUrl: () => `${rig.listener!.url}/webhooks/livestorm/${WEBHOOK_TOKEN}`,
        async start(extraEnv = {}) {
            if (
                rig.listener &&
                rig.listener.child.exitCode === null &&
                rig.listener.child.signalCode === null
            )
                await rig.listener.stop();
            rig.listener = await startListenerProcess({ ...env, ...extraEnv });
            return rig.listener;
        },
        async close() {
            await rig.listener?.stop();
            await emulator.close();
            await simulator.close();
            await rm(dataDir, { recursive: true, force: true });
        }
    };
    return rig;
}

type Row = Record<string, unknown>;

/** The org's view of one session: its Campaigns, and per e-mail the Leads/Contacts and members. */
export function orgView(emulator: SalesforceEmulator, sessionId: string) {
    const campaigns = emulator.inspect
        .records('Campaign')
        .filter((row: Row) => row.Livestorm_Session_Id__c === sessionId);
    const campaignIds = new Set(campaigns.map((row) => row.Id));
    const people = new Map<string, { object: 'Lead' | 'Contact'; id: unknown }[]>();
    for (const object of ['Lead', 'Contact'] as const) {
        for (const row of emulator.inspect.records(object)) {
            const email = String(row.Email ?? '').toLowerCase();
            if (!email) continue;
            people.set(email, [...(people.get(email) ?? []), { object, id: row.Id }]);
        }
    }
    const members = emulator.inspect
        .records('CampaignMember')
        .filter((row: Row) => campaignIds.has(row.CampaignId));
    const membersOf = (email: string) => {
        const ids = new Set((people.get(email.toLowerCase()) ?? []).map((person) => person.id));
        return members.filter((member) => ids.has(member.LeadId) || ids.has(member.ContactId));
    };
    return {
        campaigns,
        /** Leads and Contacts holding this e-mail, in the whole org. */
        recordsOf: (email: string) => people.get(email.toLowerCase()) ?? [],
        membersOf
    };
}

/**
 * Checks that each e-mail has exactly one Lead or Contact and one member of the session's one Campaign.
 * @returns how many were missing (lost) and how many extra records or members exist (duplicates)
 */
export function exactlyOnce(
    emulator: SalesforceEmulator,
    sessionId: string,
    emails: Iterable<string>,
    expectedStatus?: (email: string) => string
): { lost: number; duplicates: number; wrongStatus: number; campaigns: number } {
    const view = orgView(emulator, sessionId);
    let lost = 0;
    let duplicates = Math.max(0, view.campaigns.length - 1);
    let wrongStatus = 0;
    for (const email of emails) {
        const records = view.recordsOf(email).length;
        const members = view.membersOf(email);
        if (records === 0 || members.length === 0) lost++;
        duplicates += Math.max(0, records - 1) + Math.max(0, members.length - 1);
        if (expectedStatus && members.length === 1 && members[0]!.Status !== expectedStatus(email))
            wrongStatus++;
    }
    return { lost, duplicates, wrongStatus, campaigns: view.campaigns.length };
}

export function hoursFromNow(hours: number): number {
    return Math.floor(Date.now() / 1000) + hours * 3600;
}
