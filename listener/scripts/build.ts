// `npm start`'s prestart: writes listener/src as JavaScript to listener/dist (tests left out), so the running listener
// does not load Node's TypeScript stripper. That stripper (a WebAssembly module) costs about 30 MB of resident memory
// in every isolate that loads TypeScript, and the listener runs two (the HTTP edge and the sync engine's thread).
// Types are removed with Node's own node:module stripTypeScriptTypes (no dev dependency: this runs after
// `npm ci --omit=dev`), and relative `.ts` specifiers become `.js`. Nothing is rebuilt when dist is newer than every
// source file; a rebuild is written beside dist and swapped in, so a listener starting at the same time never reads a
// half-written tree.
import {
    cpSync,
    existsSync,
    mkdirSync,
    readdirSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync
} from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative } from 'node:path';

// LISTENER_MAX_OLD_SPACE_MB goes straight onto node's command line in `npm start`: a value node cannot read would
// stop it with three lines of its own, so it is checked here first, in one sentence naming the variable.
const heapMb = process.env.LISTENER_MAX_OLD_SPACE_MB;
if (heapMb !== undefined && heapMb !== '' && !/^[1-9][0-9]*$/.test(heapMb)) {
    process.stderr.write(
        `LISTENER_MAX_OLD_SPACE_MB must be a whole number of megabytes, e.g. 160 (the default); got "${heapMb}".\n`
    );
    process.exit(1);
}

const listenerDirectory = join(import.meta.dirname, '..');
const source = join(listenerDirectory, 'src');
const target = join(listenerDirectory, 'dist');
const STAMP = '.built-from-src';

function files(directory: string): string[] {
    return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
        const path = join(directory, entry.name);
        return entry.isDirectory() ? files(path) : [path];
    });
}

const sources = files(source).filter((path) => !/\.test\.ts$/.test(path));
const stamp = join(target, STAMP);
const newest = Math.max(...sources.map((path) => statSync(path).mtimeMs), statSync(source).mtimeMs);
const listing = sources.map((path) => relative(source, path)).join('\n');
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest && readFileSync(stamp, 'utf8') === listing)
    process.exit(0);

/** Relative module specifiers (static and dynamic imports, re-exports, `new URL(…)` of a module) ending in `.ts`. */
const RELATIVE_TS_SPECIFIER =
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)(['"])(\.{1,2}\/[^'"\n]+)\.ts\2/g;

const staging = `${target}.${process.pid}.tmp`;
rmSync(staging, { recursive: true, force: true });
for (const path of sources) {
    const out = join(staging, relative(source, path));
    mkdirSync(dirname(out), { recursive: true });
    if (!path.endsWith('.ts')) {
        cpSync(path, out);
        continue;
    }
    const javascript = stripTypeScriptTypes(readFileSync(path, 'utf8'), { mode: 'strip' }).replace(
        RELATIVE_TS_SPECIFIER,
        (_match, before: string, quote: string, specifier: string) =>
            `${before}${quote}${specifier}.js${quote}`
    );
    writeFileSync(out.replace(/\.ts$/, '.js'), javascript);
}
writeFileSync(join(staging, STAMP), listing);
const retired = `${target}.${process.pid}.old`;
if (existsSync(target)) renameSync(target, retired);
renameSync(staging, target);
rmSync(retired, { recursive: true, force: true });
