// `livestorm-sf migrate [--from-sqlite <DATA_DIR>]`: brings the store's schema up to date without starting the
// listener (instances starting later find it current), or copies an embedded store into PostgreSQL.
import { parseStoreEnv, resolveFromStart } from '../config/env.ts';
import { copySqliteIntoPostgres, NoSqliteStoreError } from '../store/copy.ts';
import { SchemaTooNewError } from '../store/migrations.ts';
import { migrateStore } from '../store/open.ts';
import type { CliCommand } from './command.ts';
import { CliError } from './context.ts';
import { formatTable } from './table.ts';

export const migrateCommand: CliCommand = {
    name: 'migrate',
    summary: "bring the store's schema up to date, or copy the embedded store into PostgreSQL",
    options: {
        'from-sqlite': {
            type: 'string',
            placeholder: 'DATA_DIR',
            help: 'copy everything the embedded store in DATA_DIR holds into DATABASE_URL (the file is only read)'
        }
    },
    details:
        'Without options: applies the schema changes this version needs to the store DATABASE_URL or DATA_DIR names.\n' +
        'The listener does the same when it starts, one instance at a time, so this is optional.\n\n' +
        '--from-sqlite copies pending and quarantined deliveries, folded sessions and people with their Salesforce\n' +
        'ids and failures, events and their switches, settings and the sync log. Rows already in PostgreSQL are kept,\n' +
        'so running it again only adds what is missing. Stop the listener that uses the file first.',
    async run({ values }, ctx) {
        const config = parseStoreEnv(ctx.env);
        const from = values['from-sqlite'];
        try {
            if (typeof from === 'string') {
                if (!config.databaseUrl)
                    throw new CliError(
                        'migrate --from-sqlite copies into PostgreSQL: set DATABASE_URL to the database the listeners will use.'
                    );
                const dataDir = resolveFromStart(ctx.env, from);
                const report = await copySqliteIntoPostgres(dataDir, {
                    connectionString: config.databaseUrl,
                    statementTimeoutMs: config.database.statementTimeoutMs
                });
                ctx.stdout(
                    formatTable(
                        ['TABLE', 'IN THE FILE', 'ADDED'],
                        report.tables.map((row) => [row.table, String(row.read), String(row.added)])
                    )
                );
                const added = report.tables.reduce((sum, row) => sum + row.added, 0);
                ctx.stdout(
                    added === 0
                        ? `Nothing to add: PostgreSQL already holds everything in ${dataDir}.`
                        : `Copied ${added} rows from ${dataDir} into PostgreSQL; the file was not changed. Start the listeners with DATABASE_URL.`
                );
                return 0;
            }
            const outcome = await migrateStore({
                dataDir: config.dataDir,
                ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {})
            });
            const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.dataDir;
            ctx.stdout(
                outcome.from === outcome.to
                    ? `The store in ${where} is already at schema version ${outcome.to}.`
                    : `The store in ${where} moved from schema version ${outcome.from} to ${outcome.to}.`
            );
            return 0;
        } catch (error) {
            if (error instanceof SchemaTooNewError || error instanceof NoSqliteStoreError)
                throw new CliError(error.message);
            throw error;
        }
    }
};
