// Small readers over the emulated org for end-to-end assertions.
import type { Stack } from './stack.ts';

export type Row = Record<string, unknown>;

export function campaignsOf(stack: Stack, sessionId?: string): Row[] {
    return stack.emulator.inspect
        .records('Campaign')
        .filter((row: Row) => !sessionId || row.Livestorm_Session_Id__c === sessionId);
}

export function campaignOf(stack: Stack, sessionId: string): Row {
    const rows = campaignsOf(stack, sessionId);
    if (rows.length !== 1)
        throw new Error(`expected one Campaign for session ${sessionId}, found ${rows.length}`);
    return rows[0]!;
}

export function membersOf(stack: Stack, campaignId: string): Row[] {
    return stack.emulator.inspect
        .records('CampaignMember')
        .filter((row: Row) => row.CampaignId === campaignId);
}

export function statusesOf(stack: Stack, campaignId: string): Row[] {
    return stack.emulator.inspect
        .records('CampaignMemberStatus')
        .filter((row: Row) => row.CampaignId === campaignId)
        .sort((a: Row, b: Row) => Number(a.SortOrder) - Number(b.SortOrder));
}

export function leadsByEmail(stack: Stack, email: string): Row[] {
    return stack.emulator.inspect
        .records('Lead')
        .filter((row: Row) => String(row.Email ?? '').toLowerCase() === email.toLowerCase());
}

export function contactsByEmail(stack: Stack, email: string): Row[] {
    return stack.emulator.inspect
        .records('Contact')
        .filter((row: Row) => String(row.Email ?? '').toLowerCase() === email.toLowerCase());
}

/** The member of a person (by e-mail) in a Campaign, through its Lead or Contact. */
export function memberByEmail(stack: Stack, campaignId: string, email: string): Row | undefined {
    const ids = new Set(
        [...leadsByEmail(stack, email), ...contactsByEmail(stack, email)].map((row) => row.Id)
    );
    return membersOf(stack, campaignId).find((member) => ids.has(member.LeadId) || ids.has(member.ContactId));
}

export function hoursFromNow(hours: number): number {
    return Math.floor(Date.now() / 1000) + hours * 3600;
}
