// `livestorm-sf events list|enable|disable|reset`: which Livestorm events are synced, and the per-event override.
// The override lives in the store the running listener reads, so no restart is needed.
import { eventEnablement } from '../config/event-enablement.ts';
import type { EventRow } from '../store/store.ts';
import type { CliCommand } from './command.ts';
import { withStore } from './context.ts';
import { formatTable } from './table.ts';

export const eventsList: CliCommand = {
    name: 'events list',
    summary: 'list known events, whether each is synced to Salesforce, and why',
    options: { json: { type: 'boolean', help: 'print JSON instead of a table' } },
    async run({ values }, ctx) {
        return withStore(ctx, async (store, config) => {
            const settings = await ctx.loadSettings(config.configFile);
            const events = await store.listEvents();
            const known = new Set(events.map((event) => event.eventId));
            // Events named only in the config file are listed too: the setting waits for them.
            const configuredOnly: EventRow[] = Object.keys(settings.events)
                .filter((eventId) => !known.has(eventId))
                .map((eventId) => ({
                    eventId,
                    title: null,
                    onDemand: false,
                    registrationLink: null,
                    enabled: null,
                    fetchedAt: null
                }));
            const rows = [...events, ...configuredOnly].map((event) => ({
                id: event.eventId,
                title: event.title ?? (known.has(event.eventId) ? null : '(not received yet)'),
                ...eventEnablement(event, settings)
            }));
            if (values.json) {
                ctx.stdout(JSON.stringify(rows, null, 2));
                return 0;
            }
            if (rows.length === 0) {
                ctx.stdout(
                    `No event known yet. New events are ${settings.enabledByDefault ? 'enabled' : 'disabled'} by default (enabledByDefault).`
                );
                return 0;
            }
            ctx.stdout(
                formatTable(
                    ['ID', 'TITLE', 'SYNC', 'WHY'],
                    rows.map((row) => [
                        row.id,
                        row.title ?? '',
                        row.enabled ? 'enabled' : 'disabled',
                        row.because
                    ])
                )
            );
            return 0;
        });
    }
};

function setEnabled(name: string, enabled: boolean | null, summary: string): CliCommand {
    return {
        name,
        summary,
        args: '<event id>',
        arity: [1, 1],
        async run({ positionals }, ctx) {
            const eventId = positionals[0] ?? '';
            return withStore(ctx, async (store, config) => {
                const settings = await ctx.loadSettings(config.configFile);
                const existing = await store.getEvent(eventId);
                await store.setEventEnabled(eventId, enabled);
                const after = eventEnablement({ eventId, enabled }, settings);
                const label = existing?.title ? `"${existing.title}" (${eventId})` : eventId;
                if (enabled === true) {
                    ctx.stdout(
                        `Event ${label} enabled. The running listener will pick it up on its next pass.`
                    );
                } else if (enabled === false) {
                    ctx.stdout(
                        `Event ${label} disabled. The running listener stops syncing its sessions to Salesforce.`
                    );
                } else {
                    ctx.stdout(
                        `Event ${label} follows the ${after.because} again: ${after.enabled ? 'enabled' : 'disabled'}.`
                    );
                }
                if (!existing)
                    ctx.stdout('This event has not been received yet; the setting applies when it arrives.');
                return 0;
            });
        }
    };
}

export const eventsEnable = setEnabled('events enable', true, 'sync an event to Salesforce');
export const eventsDisable = setEnabled('events disable', false, 'stop syncing an event to Salesforce');
export const eventsReset = setEnabled(
    'events reset',
    null,
    'drop the override: follow the config file or the default'
);
