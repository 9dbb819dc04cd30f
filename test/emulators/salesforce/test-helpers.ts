import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SalesforceEmulator, SalesforceEmulatorOptions } from './index.ts';
import { startSalesforceEmulator } from './index.ts';

/** The package metadata the tests run against: the fields and custom metadata the package defines. */
export const FIXTURE_FORCE_APP = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'force-app');

export const V = '/services/data/v66.0';

export interface Answer {
    status: number;
    body: any;
    headers: Headers;
}

export interface TestOrg extends SalesforceEmulator {
    call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
    query(soql: string, headers?: Record<string, string>): Promise<Answer>;
    composite(body: unknown): Promise<Answer>;
}

const running = new Set<SalesforceEmulator>();

/** Stops every org the current test started (use in afterEach). */
export async function closeTestOrgs(): Promise<void> {
    const orgs = [...running];
    running.clear();
    await Promise.all(orgs.map((org) => org.close()));
}

export async function startTestOrg(options: SalesforceEmulatorOptions = {}): Promise<TestOrg> {
    const emulator = await startSalesforceEmulator({ forceAppDir: FIXTURE_FORCE_APP, ...options });
    running.add(emulator);
    const call = async (
        method: string,
        path: string,
        body?: unknown,
        headers: Record<string, string> = {}
    ): Promise<Answer> => {
        const response = await fetch(`${emulator.url}${path}`, {
            method,
            headers: {
                Authorization: `Bearer ${emulator.accessToken}`,
                ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
                ...headers
            },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
            parsed = text === '' ? null : JSON.parse(text);
        } catch {
            // Plain-text answers (414) stay text.
        }
        return { status: response.status, body: parsed, headers: response.headers };
    };
    return Object.assign(emulator, {
        call,
        query: (soql: string, headers?: Record<string, string>) =>
            call('GET', `${V}/query?q=${encodeURIComponent(soql)}`, undefined, headers),
        composite: (body: unknown) => call('POST', `${V}/composite`, body)
    });
}

/** A Campaign with its two default statuses, created through the inspector (not an API call). */
export function seedCampaign(org: SalesforceEmulator, fields: Record<string, unknown> = {}): string {
    return org.inspect.insert('Campaign', { Name: 'Product demo - 2026-11-24', ...fields });
}

export function seedLead(org: SalesforceEmulator, fields: Record<string, unknown> = {}): string {
    return org.inspect.insert('Lead', { LastName: 'Lovelace', Company: 'Analytical Engines', ...fields });
}
