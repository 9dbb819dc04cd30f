// The embedded store on a full disk: DATA_DIR is a size-limited tmpfs, filled up while registrations arrive. The
// listener must answer 503 to what it cannot commit — never a 2xx for a delivery it did not store — stay up, and
// recover alone once space is freed: every acknowledged delivery ends in the org exactly once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebhookSender, webhookBody } from '../emulators/livestorm/webhooks.ts';
import { exactlyOnce, hoursFromNow, report, scaled, startRig } from './harness.ts';
import type { Rig } from './harness.ts';

const PER_PHASE = scaled(30, 150);

/** A tmpfs of `sizeMb` mounted on a fresh directory, or null when this machine does not allow mounting. */
function mountTmpfs(sizeMb: number): string | null {
    const dir = mkdtempSync(join(tmpdir(), 'lsf-full-disk-'));
    try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
        return dir;
    } catch {
        rmSync(dir, { recursive: true, force: true });
        return null;
    }
}

const mountPoint = mountTmpfs(16);
let rig: Rig | undefined;
afterAll(async () => {
    await rig?.close();
    if (mountPoint) {
        execFileSync('umount', [mountPoint]);
        rmSync(mountPoint, { recursive: true, force: true });
    }
}, 60_000);

/** Writes a file until the file system refuses: ENOSPC. */
function fillDisk(path: string): number {
    const chunk = Buffer.alloc(256 * 1024, 1);
    let written = 0;
    writeFileSync(path, '');
    for (;;) {
        try {
            appendFileSync(path, chunk);
            written += chunk.length;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
        }
    }
    // The last bytes the page cache still had room for.
    for (const size of [4096, 512, 1]) {
        try {
            for (;;) {
                appendFileSync(path, Buffer.alloc(size, 1));
                written += size;
            }
        } catch {
            // full at this granularity
        }
    }
    return written;
}

describe('embedded store on a full disk (a 16 MB tmpfs)', () => {
    it.skipIf(!mountPoint)(
        'answers 503, never 2xx for what it did not commit, and recovers alone',
        async () => {
            rig = await startRig({ env: { DATA_DIR: join(mountPoint!, 'data') } });
            const current = rig;
            await current.start();
            const sender = createWebhookSender({
                url: current.webhookUrl(),
                retryDelaysMs: [],
                concurrency: 4
            });
            const event = current.simulator.state.createEvent({ title: 'Full disk' });
            await sender.deliver('event.created', event);
            const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(3) });
            await sender.deliver('session.created', session);

            const acknowledged = new Set<string>();
            const refused: ReturnType<typeof current.simulator.state.register>[] = [];
            const statuses = new Map<number, number>();
            const post = async (person: { id: string; type: string; attributes: object }) => {
                const response = await fetch(current.webhookUrl(), {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/json' },
                    body: webhookBody('people.registered', person as never)
                });
                await response.text();
                if (response.status === 503) expect(response.headers.get('retry-after')).not.toBeNull();
                return response.status;
            };
            const phase = async (name: string) => {
                const people = Array.from({ length: PER_PHASE }, (_, index) =>
                    current.simulator.state.register(session.id, {
                        firstName: name,
                        lastName: `${index}`,
                        email: `full.${name}.${index}@example.com`
                    })
                );
                for (const person of people) {
                    // One attempt each (a sender without retries would take a refusal as the end of the subscription).
                    const status = await post(person);
                    statuses.set(status, (statuses.get(status) ?? 0) + 1);
                    if (status >= 200 && status < 300) acknowledged.add(person.attributes.email);
                    else refused.push(person);
                }
            };
            await phase('before');
            const filler = join(mountPoint!, 'filler');
            const filled = fillDisk(filler);
            await phase('full');
            const refusedWhileFull = refused.length;
            expect(refusedWhileFull).toBeGreaterThan(0);
            // Only the store's refusal: 503 with Retry-After.
            expect(
                [...statuses.keys()].every((status) => status === 202 || status === 503),
                [...statuses].join(' ') +
                    ' exit=' +
                    String(current.listener!.child.exitCode) +
                    ' ' +
                    String(current.listener!.child.signalCode) +
                    '\n' +
                    current.listener!.output().slice(-6000)
            ).toBe(true);
            expect(current.listener!.child.exitCode).toBeNull();

            unlinkSync(filler);
            // Livestorm retries what was refused; new registrations keep coming.
            for (const person of refused.splice(0)) {
                if ((await post(person)) === 202) acknowledged.add(person.attributes.email);
                else refused.push(person);
            }
            expect(refused).toHaveLength(0);
            await phase('after');
            expect(refused).toHaveLength(0);
            await expect
                .poll(() => exactlyOnce(current.emulator, session.id, acknowledged), {
                    timeout: 120_000,
                    interval: 250
                })
                .toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
            expect(current.listener!.child.exitCode).toBeNull();
            report('store full', {
                fault: 'tmpfs 16 MB filled to ENOSPC',
                'filler bytes': filled,
                acknowledged: acknowledged.size,
                'refused with 503 while full': refusedWhileFull,
                ...Object.fromEntries([...statuses].map(([status, count]) => [`http${status}`, count])),
                lost: 0,
                duplicates: 0,
                restarts: 0
            });
        }
    );
});
