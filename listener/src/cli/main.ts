// `livestorm-sf <command>`: the operator's command line. Commands are looked up in one table by their words
// ("events list"); adding a command is one entry.
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { CliCommand } from './command.ts';
import { backfill } from './backfill.ts';
import {
    CliError,
    defaultCliContext,
    isUserError,
    STORE_UNREACHABLE_EXIT,
    storeUnreachable
} from './context.ts';
import type { CliContext } from './context.ts';
import { doctor } from './doctor.ts';
import { eventsDisable, eventsEnable, eventsList, eventsReset } from './events.ts';
import { migrateCommand } from './migrate.ts';
import { peopleShow } from './people.ts';
import { quarantineList, quarantineReplay } from './quarantine.ts';
import { sessionsList } from './sessions.ts';

export const COMMANDS: readonly CliCommand[] = [
    eventsList,
    eventsEnable,
    eventsDisable,
    eventsReset,
    peopleShow,
    sessionsList,
    quarantineList,
    quarantineReplay,
    doctor,
    backfill,
    migrateCommand
];

const ENVIRONMENT_HELP = `Environment: DATA_DIR (default ./.data) or DATABASE_URL selects the store the listener uses;
CONFIG_FILE (default ./livestorm-sf.config.json) holds the behaviour settings. Relative paths are taken from the
directory the command is started in: run it where you run npm start.`;

function usage(commands: readonly CliCommand[], prefix = ''): string {
    const shown = commands.filter((command) => command.name.startsWith(prefix));
    const width = Math.max(
        ...shown.map((command) => (command.name + (command.args ? ` ${command.args}` : '')).length)
    );
    const lines = shown.map((command) => {
        const synopsis = command.name + (command.args ? ` ${command.args}` : '');
        return `  ${synopsis.padEnd(width)}  ${command.summary}`;
    });
    return [
        `Usage: livestorm-sf ${prefix ? `${prefix.trim()} ` : ''}<command> [options]`,
        '',
        'Commands:',
        ...lines,
        '',
        `Run "livestorm-sf <command> --help" for a command's options.`,
        ENVIRONMENT_HELP
    ].join('\n');
}

function commandHelp(command: CliCommand): string {
    const options = Object.entries(command.options ?? {}).map(([name, spec]) => {
        const flag = `--${name}${spec.type === 'string' ? ` <${spec.placeholder ?? 'value'}>` : ''}`;
        return [flag, spec.help] as const;
    });
    options.push(['--help', 'show this help']);
    const width = Math.max(...options.map(([flag]) => flag.length));
    return [
        `Usage: livestorm-sf ${command.name}${command.args ? ` ${command.args}` : ''}${options.length > 1 ? ' [options]' : ''}`,
        '',
        `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
        ...(command.details ? ['', command.details] : []),
        '',
        'Options:',
        ...options.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
        '',
        ENVIRONMENT_HELP
    ].join('\n');
}

/** The command named by the first one or two words, and the words after it. */
function resolve(
    argv: string[],
    commands: readonly CliCommand[]
): { command: CliCommand; rest: string[] } | undefined {
    for (const words of [2, 1]) {
        const name = argv.slice(0, words).join(' ');
        const command = commands.find((candidate) => candidate.name === name);
        if (command) return { command, rest: argv.slice(words) };
    }
    return undefined;
}

/**
 * Runs one command line.
 * @param argv the arguments after the program name
 * @returns the exit code: 0 done, 1 failed (or, for `people show` and `sessions list`, nothing found), 2 usage error, 3 store unreachable
 * @example process.exitCode = await runCli(['events', 'list'], defaultCliContext());
 */
export async function runCli(
    argv: string[],
    ctx: CliContext,
    commands: readonly CliCommand[] = COMMANDS
): Promise<number> {
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    const resolved = resolve(argv, commands);
    if (!resolved) {
        const group = argv[0] !== undefined && !argv[0].startsWith('-') ? `${argv[0]} ` : '';
        const groupExists = group !== '' && commands.some((command) => command.name.startsWith(group));
        if (wantsHelp && (argv.length === 1 || (groupExists && argv.length === 2))) {
            ctx.stdout(usage(commands, groupExists ? group : ''));
            return 0;
        }
        if (argv.length > 0) {
            const typed = argv
                .filter((word) => !word.startsWith('-'))
                .slice(0, 2)
                .join(' ');
            ctx.stderr(`Unknown command "${typed || argv.join(' ')}".`);
        }
        ctx.stderr(usage(commands, groupExists ? group : ''));
        return 2;
    }
    const { command, rest } = resolved;
    if (wantsHelp) {
        ctx.stdout(commandHelp(command));
        return 0;
    }
    const options: ParseArgsOptionsConfig = {};
    for (const [name, spec] of Object.entries(command.options ?? {})) {
        options[name] =
            spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
    }
    let parsed;
    try {
        parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (error) {
        ctx.stderr(`${(error as Error).message}\n\n${commandHelp(command)}`);
        return 2;
    }
    const [min, max] = command.arity ?? [0, 0];
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
        ctx.stderr(
            `livestorm-sf ${command.name} takes ${command.args ?? 'no arguments'}.\n\n${commandHelp(command)}`
        );
        return 2;
    }
    try {
        return await command.run(
            {
                positionals: parsed.positionals,
                values: parsed.values as Record<string, string | boolean | undefined>
            },
            ctx
        );
    } catch (error) {
        if (isUserError(error)) {
            ctx.stderr(error.message);
            return error instanceof CliError ? error.exitCode : 1;
        }
        const unreachable = storeUnreachable(error);
        if (unreachable) {
            ctx.stderr(unreachable);
            return STORE_UNREACHABLE_EXIT;
        }
        throw error;
    }
}

/** Entry point of bin/livestorm-sf.js. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
    process.exitCode = await runCli(argv, defaultCliContext());
}
