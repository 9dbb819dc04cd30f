// Whether an event is synced, and why: a per-event override set from the command line or the admin page wins over
// the config file's `events` map, which wins over `enabledByDefault`.
import type { Settings } from './settings.ts';
import type { EventRow } from '../store/store.ts';

export type EnablementSource = 'default' | 'config file' | 'command line';

export interface EventEnablement {
    enabled: boolean;
    source: EnablementSource;
    /** Human wording of the source, e.g. "config file (events.<id>)". */
    because: string;
}

export function eventEnablement(
    event: Pick<EventRow, 'eventId' | 'enabled'>,
    settings: Settings
): EventEnablement {
    if (event.enabled !== null) {
        return {
            enabled: event.enabled,
            source: 'command line',
            because: 'set from the command line or admin page'
        };
    }
    const configured = settings.events[event.eventId];
    if (configured !== undefined) {
        return {
            enabled: configured,
            source: 'config file',
            because: `config file (events.${event.eventId})`
        };
    }
    return {
        enabled: settings.enabledByDefault,
        source: 'default',
        because: `default (enabledByDefault is ${settings.enabledByDefault})`
    };
}
