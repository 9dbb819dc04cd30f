import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStoreEnv } from './env.ts';
import { findLegacyPaths } from './paths.ts';

let dir: string;
let repository: string;
let listenerDirectory: string;

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lsf-paths-'));
    repository = join(dir, 'repo');
    listenerDirectory = join(repository, 'listener');
    mkdirSync(listenerDirectory, { recursive: true });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function oldStore(): void {
    mkdirSync(join(listenerDirectory, '.data'));
    writeFileSync(join(listenerDirectory, '.data', 'livestorm-sf.sqlite'), 'old rows');
}

describe('findLegacyPaths', () => {
    it('names a store left under listener/.data in one sentence, with the command that moves it', () => {
        oldStore();
        const env = { INIT_CWD: repository };
        const { errors } = findLegacyPaths(env, parseStoreEnv(env), listenerDirectory);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain(
            `A store written by an older version is in ${join(listenerDirectory, '.data')}`
        );
        expect(errors[0]).toContain(`DATA_DIR now means ${join(repository, '.data')}`);
        expect(errors[0]).toContain(
            `mv "${join(listenerDirectory, '.data')}"/* "${join(repository, '.data')}"/`
        );
        expect(errors[0]!.split(/\.\s/)).toHaveLength(1);
    });

    it('also when the new directory exists but is empty (never replaced by an empty store)', () => {
        oldStore();
        mkdirSync(join(repository, '.data'));
        const env = { INIT_CWD: repository };
        expect(findLegacyPaths(env, parseStoreEnv(env), listenerDirectory).errors).toHaveLength(1);
    });

    it('follows a relative DATA_DIR to where an older version put it', () => {
        mkdirSync(join(listenerDirectory, 'store'));
        writeFileSync(join(listenerDirectory, 'store', 'livestorm-sf.sqlite'), 'old rows');
        const env = { INIT_CWD: repository, DATA_DIR: 'store' };
        expect(findLegacyPaths(env, parseStoreEnv(env), listenerDirectory).errors[0]).toContain(
            `is in ${join(listenerDirectory, 'store')}`
        );
    });

    it('names a settings file left under listener/', () => {
        writeFileSync(join(listenerDirectory, 'livestorm-sf.config.json'), '{}');
        const env = { INIT_CWD: repository };
        const { errors } = findLegacyPaths(env, parseStoreEnv(env), listenerDirectory);
        expect(errors).toEqual([
            expect.stringContaining(
                `A settings file written by an older version is at ${join(listenerDirectory, 'livestorm-sf.config.json')}`
            )
        ]);
    });

    it('only warns when the new place has its own store and settings', () => {
        oldStore();
        writeFileSync(join(listenerDirectory, 'livestorm-sf.config.json'), '{}');
        mkdirSync(join(repository, '.data'));
        writeFileSync(join(repository, '.data', 'livestorm-sf.sqlite'), 'new rows');
        writeFileSync(join(repository, 'livestorm-sf.config.json'), '{}');
        const env = { INIT_CWD: repository };
        const result = findLegacyPaths(env, parseStoreEnv(env), listenerDirectory);
        expect(result.errors).toEqual([]);
        expect(result.warnings).toHaveLength(2);
    });

    it('says nothing when started inside listener/ (the old place is the place), for absolute paths or PostgreSQL', () => {
        oldStore();
        writeFileSync(join(listenerDirectory, 'livestorm-sf.config.json'), '{}');
        const inside = { INIT_CWD: listenerDirectory };
        expect(findLegacyPaths(inside, parseStoreEnv(inside), listenerDirectory)).toEqual({
            errors: [],
            warnings: []
        });
        const absolute = { DATA_DIR: join(dir, 'abs'), CONFIG_FILE: join(dir, 'abs.json') };
        expect(findLegacyPaths(absolute, parseStoreEnv(absolute), listenerDirectory).errors).toEqual([]);
        const postgres = {
            INIT_CWD: repository,
            DATABASE_URL: 'postgres://u@h/db',
            CONFIG_FILE: join(dir, 'c.json')
        };
        expect(findLegacyPaths(postgres, parseStoreEnv(postgres), listenerDirectory).errors).toEqual([]);
    });
});
