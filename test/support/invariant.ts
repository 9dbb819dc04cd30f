// DESIGN's invariant, checked at the end of end-to-end scenarios: no person is ever silently stuck. Every person's
// status is computed through the product's own person-status.ts (the one the admin page and `people show` use), and
// the check fails with the offending people when one is not in an explained state.
import { expect } from 'vitest';
import { allPersonStatuses } from '../../listener/src/sync/person-status.ts';
import type { PersonStatus, PersonStatusDeps } from '../../listener/src/sync/person-status.ts';
import type { Stack } from './stack.ts';

export interface InvariantOptions {
    /**
     * The scenario expects everything settled (the engine was idle): no person may still be `waiting`; each one is
     * `synced`, `failed` with the error and its fix, `disabled` or `set_aside` with a reason. Default true.
     */
    settled?: boolean;
}

/** What is wrong with one status, or null when it is explained. */
export function unexplained(status: PersonStatus, settled: boolean): string | null {
    switch (status.state) {
        case 'synced':
            if (!status.salesforce.id || !status.salesforce.memberId)
                return 'synced without a Lead/Contact id and a CampaignMember id';
            return null;
        case 'waiting':
            if (!status.reason) return 'waiting without a reason';
            if (!status.nextAttemptAt) return 'waiting without a nextAttemptAt';
            if (settled) return `still waiting after the scenario settled (${status.reason})`;
            return null;
        case 'failed':
            if (!status.error?.code || !status.error.message || !status.error.fix)
                return 'failed without the Salesforce error and its fix';
            return null;
        case 'disabled':
        case 'set_aside':
            return status.reason ? null : `${status.state} without a reason`;
        default:
            return `unknown state ${String(status.state)}`;
    }
}

/**
 * Fails the test when a person of the stack's store is dirty without a reason and a next attempt, or (settled, the
 * default) not in a final state.
 * @example
 * await stack.engine.whenIdle();
 * await expectNoneSilentlyStuck(stack);
 * @example
 * // Salesforce still refuses: people must be waiting, with a reason and a next attempt.
 * await expectNoneSilentlyStuck(stack, { settled: false });
 */
export async function expectNoneSilentlyStuck(
    stack: Stack,
    options: InvariantOptions = {}
): Promise<PersonStatus[]> {
    return expectStoreNoneSilentlyStuck(
        {
            store: stack.store,
            settings: stack.settings,
            engine: stack.engine,
            instanceUrl: () => stack.emulator.instanceUrl,
            livestormConfigured: stack.engine.health().livestorm.state !== 'not_configured'
        },
        options
    );
}

/**
 * The same check over any store, e.g. one opened on the DATA_DIR of a listener running as its own process (the
 * engine's health is then read from the store, as the command line reads it).
 */
export async function expectStoreNoneSilentlyStuck(
    deps: PersonStatusDeps,
    options: InvariantOptions = {}
): Promise<PersonStatus[]> {
    const settled = options.settled ?? true;
    const statuses = await allPersonStatuses(deps);
    const problems = statuses
        .map((status) => ({ status, problem: unexplained(status, settled) }))
        .filter((entry) => entry.problem !== null);
    expect(
        problems.slice(0, 10).map(({ status, problem }) => ({
            person: `${status.sessionId}/${status.personId} ${status.email ?? ''}`.trim(),
            problem,
            status: { state: status.state, reason: status.reason, nextAttemptAt: status.nextAttemptAt }
        })),
        `${problems.length} of ${statuses.length} people silently stuck (first 10 shown)`
    ).toEqual([]);
    return statuses;
}

const endOptions = new WeakMap<Stack, InvariantOptions>();

/**
 * For a scenario that ends with Salesforce still refusing on purpose (a refused token, a wrong setting): the check at
 * its end then requires every person to be explained, not settled.
 */
export function endsUnsettled(stack: Stack): void {
    endOptions.set(stack, { settled: false });
}

/**
 * The end of a scenario, for `afterEach`: checks the invariant on its stack (settled unless endsUnsettled was
 * called), then closes the stack even when the check fails.
 * @example
 * afterEach(async () => {
 *     await checkAndClose(stack);
 *     stack = undefined;
 * });
 */
export async function checkAndClose(stack: Stack | undefined): Promise<void> {
    if (!stack) return;
    try {
        await expectNoneSilentlyStuck(stack, endOptions.get(stack) ?? {});
    } finally {
        await stack.close();
    }
}
