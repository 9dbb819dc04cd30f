// The load generator, run in its own process by processes.ts: reads a LoadPlan on stdin, sends webhooks to the URL
// open-loop (a fixed rate, latency counted from each request's scheduled time so that a stall is not hidden) or
// closed-loop (N senders back to back, for a duration or a number of requests), and prints a LoadResult as JSON on stdout.
// Requests go through undici's Pool (keep-alive connections, no WHATWG Request/Response objects): with `fetch` the
// client itself topped out near 1,750 requests/s against a bare handler on 2 cores, so it measured itself.
import { text } from 'node:stream/consumers';
import { Pool } from 'undici';
import type { LoadPlan, LoadResult } from './processes.ts';

const plan = JSON.parse(await text(process.stdin)) as LoadPlan;
const target = new URL(plan.url);
/** Closed loop: one connection per sender. Open loop: enough that a stalled listener, not the client, queues requests. */
const pool = new Pool(target.origin, { connections: plan.rate ? 512 : (plan.concurrency ?? 32) });
const latenciesMs: number[] = [];
const failedLatenciesMs: number[] = [];
const errors = new Set<string>();
let sent = 0;
let acknowledged = 0;
let failed = 0;

function bodyFor(index: number): string {
    if (plan.bodies) return plan.bodies[index]!;
    if (plan.template === undefined || plan.placeholders === undefined || plan.runId === undefined)
        throw new Error('a load plan needs bodies, or a template with placeholders and a runId');
    const personId = `${plan.runId}-0000-4000-8000-${String(index).padStart(12, '0')}`;
    const email = `load-${plan.runId}-${index}@example.com`;
    return plan.template.replaceAll(plan.placeholders.personId, personId).replaceAll(plan.placeholders.email, email);
}

async function send(index: number, scheduledAt: number): Promise<void> {
    const measured = index >= warmup;
    if (measured) sent += 1;
    try {
        const response = await pool.request({
            path: target.pathname + target.search,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodyFor(index),
            signal: AbortSignal.timeout(10_000)
        });
        await response.body.dump();
        if (!measured) return;
        if (response.statusCode >= 200 && response.statusCode < 300) {
            acknowledged += 1;
            latenciesMs.push(performance.now() - scheduledAt);
        } else {
            failed += 1;
            failedLatenciesMs.push(performance.now() - scheduledAt);
            errors.add(`HTTP ${response.statusCode}`);
        }
    } catch (error) {
        if (!measured) return;
        failed += 1;
        failedLatenciesMs.push(performance.now() - scheduledAt);
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        errors.add(`${(error as Error).name}${cause ? ` ${cause}` : ''}: ${(error as Error).message}`);
    }
}

let started = performance.now();
const durationMs = plan.seconds * 1000;
const inFlight = new Set<Promise<void>>();
function launch(index: number, scheduledAt: number) {
    const request = send(index, scheduledAt).finally(() => inFlight.delete(request));
    inFlight.add(request);
}

// Warm-up requests (JIT, connections) are sent on the same schedule but not measured.
const warmup = plan.rate ? Math.round(plan.rate * (plan.warmupSeconds ?? 0)) : 0;
if (plan.rate) {
    const intervalMs = 1000 / plan.rate;
    const total = warmup + Math.round(plan.rate * plan.seconds);
    let next = 0;
    while (next < total) {
        const now = performance.now();
        while (next < total && started + next * intervalMs <= now) {
            launch(next, started + next * intervalMs);
            next += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
    }
} else {
    let next = 0;
    const limit = plan.bodies?.length ?? plan.count ?? Infinity;
    const counted = limit !== Infinity;
    const sender = async () => {
        while (next < limit && (counted || performance.now() - started < durationMs)) {
            const index = next++;
            await send(index, performance.now());
        }
    };
    await Promise.all(Array.from({ length: plan.concurrency ?? 32 }, sender));
}
await Promise.all(inFlight);
if (warmup) started += (warmup / plan.rate!) * 1000;
const result: LoadResult = {
    sent,
    acknowledged,
    failed,
    elapsedMs: performance.now() - started,
    latenciesMs,
    failedLatenciesMs,
    errors: [...errors].slice(0, 5)
};
process.stdout.write(JSON.stringify(result));
