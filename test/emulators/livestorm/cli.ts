// Runs the Livestorm simulator on its own:
//   npm run emulator:livestorm -- --port 4020 [--token T]
//       [--webhook-url URL --scenario webinar --registrants 50 [--secret S] [--seed N] [--exit]
//        [--duplicate-rate 0.1] [--reorder-window 5] [--retry-delays 1000,2000,5000,10000,20000]]
// Prints {"apiUrl","token"} once listening; with --webhook-url plays the scenario and prints its summary.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { startLivestormSimulator } from './index.ts';
import { createWebhookSender } from './webhooks.ts';
import { playWebinar } from './scenarios.ts';

const OPTIONS = {
    port: { type: 'string', default: '4020' },
    token: { type: 'string' },
    'webhook-url': { type: 'string' },
    scenario: { type: 'string', default: 'webinar' },
    registrants: { type: 'string', default: '50' },
    secret: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'duplicate-rate': { type: 'string', default: '0' },
    'reorder-window': { type: 'string', default: '0' },
    'retry-delays': { type: 'string' },
    exit: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
} satisfies ParseArgsConfig['options'];

const HELP = `Usage: npm run emulator:livestorm -- [options]

Runs the Livestorm REST API simulator on 127.0.0.1 and prints one JSON line {"apiUrl","token"} once it listens (use
them as LIVESTORM_API_URL and LIVESTORM_API_TOKEN). With --webhook-url it also plays a webinar at that URL, as
Livestorm delivers webhooks, and prints a JSON summary.

Options:
  --port N                 port to listen on (default 4020; 0 for any free port)
  --token T                the API token it accepts (default: a random one)
  --webhook-url URL        play the scenario at this webhook URL (the listener's, with its token)
  --scenario NAME          what to play (default and only one: webinar)
  --registrants N          people who register (default 50)
  --secret S               sign deliveries with this secret (x-livestorm-signature)
  --seed N                 random seed of names, attendance and order (default 1)
  --duplicate-rate R       0..1, chance a delivery is sent twice (default 0)
  --reorder-window N       shuffle deliveries within windows of N (default 0)
  --retry-delays MS,MS,…   waits before each retry of a failed delivery (default Livestorm's schedule)
  --exit                   exit once the scenario is played
  -h, --help               show this help`;

function usageError(message: string): never {
    process.stderr.write(`${message}\nRun "npm run emulator:livestorm -- --help" for the options.\n`);
    process.exit(2);
}

let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true }));
} catch (error) {
    usageError((error as Error).message);
}
if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
}

function integer(name: string, raw: string | undefined): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
        usageError(`--${name} must be a non-negative integer, got ${raw}`);
    return value;
}

function rate(name: string, raw: string | undefined): number {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1)
        usageError(`--${name} must be between 0 and 1, got ${raw}`);
    return value;
}

if (values.scenario !== 'webinar') usageError(`unknown --scenario ${values.scenario} (known: webinar)`);
if (values['webhook-url'] !== undefined && !URL.canParse(values['webhook-url'])) {
    usageError(`--webhook-url must be a URL, got ${values['webhook-url']}`);
}
const port = integer('port', values.port);
const registrants = integer('registrants', values.registrants);
const seed = integer('seed', values.seed);
const duplicateRate = rate('duplicate-rate', values['duplicate-rate']);
const reorderWindow = integer('reorder-window', values['reorder-window']);
const retryDelaysMs = values['retry-delays']
    ?.split(',')
    .map((delay) => integer('retry-delays', delay.trim()));

const simulator = await startLivestormSimulator({ port, token: values.token });
console.log(JSON.stringify({ apiUrl: simulator.apiUrl, token: simulator.token }));

const stop = async (): Promise<void> => {
    await simulator.close();
    process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

if (values['webhook-url'] !== undefined) {
    const sender = createWebhookSender({
        url: values['webhook-url'],
        secret: values.secret,
        seed,
        duplicateRate,
        reorderWindow,
        retryDelaysMs
    });
    const summary = await playWebinar({
        simulator,
        sender,
        registrants,
        seed,
        unicodeNames: true,
        missingFields: true
    });
    const people = summary.people;
    console.log(
        JSON.stringify({
            eventId: summary.eventId,
            sessionId: summary.sessionId,
            title: summary.title,
            registrants: people.length,
            attended: people.filter((person) => person.attended).length,
            replay: people.filter((person) => person.replay).length,
            deliveries: summary.deliveries,
            webhooks: (({ latenciesMs, ...rest }) => ({ ...rest, requests: latenciesMs.length }))(
                sender.stats()
            )
        })
    );
    if (values.exit) await stop();
}
