// The shape of one command of `livestorm-sf`. main.ts parses the options a command declares (node:util parseArgs,
// strict) and prints its help, so a command only says what it takes and what it does.
import type { CliContext } from './context.ts';

export interface OptionSpec {
    type: 'string' | 'boolean';
    short?: string;
    /** One line for --help, e.g. "print JSON instead of a table". */
    help: string;
    /** Placeholder shown in --help for string options. */
    placeholder?: string;
}

export interface ParsedArgs {
    positionals: string[];
    values: Record<string, string | boolean | undefined>;
}

export interface CliCommand {
    /** Words typed after `livestorm-sf`, e.g. "events list". */
    name: string;
    summary: string;
    /** Positional arguments as shown in the usage line, e.g. "<event id>". */
    args?: string;
    /** [min, max] positional count; default [0, 0]. */
    arity?: [number, number];
    options?: Record<string, OptionSpec>;
    /** Extra paragraphs for --help. */
    details?: string;
    run(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** A command whose module is not part of this version yet: it says so and exits 1. */
export function notAvailableYet(name: string, summary: string): CliCommand {
    return {
        name,
        summary: `${summary} (not available yet)`,
        arity: [0, Number.POSITIVE_INFINITY],
        options: {},
        async run(_args, ctx) {
            ctx.stderr(`livestorm-sf ${name} is not available yet in this version.`);
            return 1;
        }
    };
}
