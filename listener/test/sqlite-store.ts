// The embedded store as the command line's tests open it.
import { createSqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/store.ts';

/**
 * Runs `work` on the embedded store of `dataDir` (opened for it, closed after, also when it throws), as the command
 * line opens the listener's store.
 */
export async function withSqliteStore<T>(dataDir: string, work: (store: Store) => Promise<T>): Promise<T> {
    const store = await createSqliteStore({ dataDir });
    try {
        return await work(store);
    } finally {
        await store.close();
    }
}
