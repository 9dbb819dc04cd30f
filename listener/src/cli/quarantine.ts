// `livestorm-sf quarantine list|replay`: deliveries stored but not usable (bad JSON, unknown event, missing ids).
import type { CliCommand } from './command.ts';
import { CliError, withStore } from './context.ts';
import { formatTable } from './table.ts';

export const quarantineList: CliCommand = {
    name: 'quarantine list',
    summary: 'list quarantined deliveries, newest first, with the reason',
    options: {
        limit: { type: 'string', help: 'how many to show (default 50)', placeholder: 'n' },
        json: { type: 'boolean', help: 'print JSON (with the full bodies) instead of a table' }
    },
    async run({ values }, ctx) {
        const limit = values.limit === undefined ? 50 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1)
            throw new CliError('--limit must be a positive whole number.');
        return withStore(ctx, async (store) => {
            const deliveries = await store.listDeliveries({ state: 'quarantined', limit });
            if (values.json) {
                ctx.stdout(JSON.stringify(deliveries, null, 2));
                return 0;
            }
            if (deliveries.length === 0) {
                ctx.stdout('No quarantined delivery.');
                return 0;
            }
            ctx.stdout(
                formatTable(
                    ['ID', 'RECEIVED', 'EVENT', 'REASON'],
                    deliveries.map((d) => [
                        String(d.id),
                        new Date(d.receivedAt).toISOString(),
                        d.event ?? '-',
                        d.error ?? ''
                    ])
                )
            );
            return 0;
        });
    }
};

export const quarantineReplay: CliCommand = {
    name: 'quarantine replay',
    summary: 'queue quarantined deliveries again (after fixing the cause)',
    args: '<delivery id>...',
    arity: [1, Number.POSITIVE_INFINITY],
    async run({ positionals }, ctx) {
        const ids = positionals.map((value) => {
            if (!/^\d+$/.test(value)) throw new CliError(`"${value}" is not a delivery id (a whole number).`);
            return Number(value);
        });
        return withStore(ctx, async (store) => {
            let missing = 0;
            for (const id of ids) {
                if (await store.requeueDelivery(id)) {
                    ctx.stdout(
                        `Delivery ${id} is pending again: the running listener will process it on its next pass.`
                    );
                } else {
                    ctx.stderr(`No delivery ${id}.`);
                    missing++;
                }
            }
            return missing === 0 ? 0 : 1;
        });
    }
};
