// Runs the Livestorm simulator on its own:
//   npm run emulator:livestorm -- --port 4020 [--token T]
//       [--webhook-url URL --scenario webinar --registrants 50 [--secret S] [--seed N] [--exit]
//        [--duplicate-rate 0.1] [--reorder-window 5] [--retry-delays 1000,2000,5000,10000,20000]]
// Prints {"apiUrl","token"} once listening; with --webhook-url plays the scenario and prints its summary.
import { parseArgs } from 'node:util';
import { startLivestormSimulator } from './index.ts';
import { createWebhookSender } from './webhooks.ts';
import { playWebinar } from './scenarios.ts';

const { values } = parseArgs({
    options: {
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
        exit: { type: 'boolean', default: false }
    }
});

function integer(name: string, raw: string | undefined): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
    return value;
}

const simulator = await startLivestormSimulator({ port: integer('port', values.port), token: values.token });
console.log(JSON.stringify({ apiUrl: simulator.apiUrl, token: simulator.token }));

const stop = async (): Promise<void> => {
    await simulator.close();
    process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

if (values['webhook-url'] !== undefined) {
    if (values.scenario !== 'webinar')
        throw new Error(`unknown --scenario ${values.scenario} (known: webinar)`);
    const sender = createWebhookSender({
        url: values['webhook-url'],
        secret: values.secret,
        seed: integer('seed', values.seed),
        duplicateRate: Number(values['duplicate-rate']),
        reorderWindow: integer('reorder-window', values['reorder-window']),
        retryDelaysMs: values['retry-delays']
            ?.split(',')
            .map((delay) => integer('retry-delays', delay.trim()))
    });
    const summary = await playWebinar({
        simulator,
        sender,
        registrants: integer('registrants', values.registrants),
        seed: integer('seed', values.seed),
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
