// Runs every suite — LWC (Jest), listener unit, emulators, metadata checks, end-to-end (Vitest) — and prints one
// closing line "N passed, N failed" that sums them all. Exits non-zero when anything failed or did not run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface SuiteCount {
    name: string;
    passed: number;
    failed: number;
    ran: boolean;
}

// The suites' JSON reports, read once they end; removed when this script exits (also after an error).
const outDir = mkdtempSync(join(tmpdir(), 'lsf-tests-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
const bin = (name: string) => join(import.meta.dirname, '..', 'node_modules', '.bin', name);

function run(command: string, args: string[]): number {
    const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
    return result.status ?? 1;
}

function readJestOrVitestJson(file: string): { passed: number; failed: number } | undefined {
    if (!existsSync(file)) return undefined;
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        testResults?: { status: string; assertionResults?: { status: string }[] }[];
    };
    // A file that fails outside its tests (it does not load, a beforeAll hook fails) has no failed test of its own
    // but still counts as one failure.
    const brokenFiles = (report.testResults ?? []).filter(
        (result) =>
            result.status === 'failed' &&
            !(result.assertionResults ?? []).some((assertion) => assertion.status === 'failed')
    ).length;
    return { passed: report.numPassedTests, failed: report.numFailedTests + brokenFiles };
}

const suites: SuiteCount[] = [];

// Static checks count as one test each: vitest strips types without checking them.
const staticChecks: [string, string, string[]][] = [
    ['typecheck listener', bin('tsc'), ['-p', 'listener']],
    ['typecheck tests and emulators', bin('tsc'), ['-p', 'test']],
    ['eslint', bin('eslint'), ['.']]
];
for (const [name, command, args] of staticChecks) {
    const ok = run(command, args) === 0;
    suites.push({ name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, ran: true });
}

const jestJson = join(outDir, 'jest.json');
const jestExit = run(bin('sfdx-lwc-jest'), [
    '--skipApiVersionCheck',
    '--',
    '--json',
    `--outputFile=${jestJson}`
]);
const jest = readJestOrVitestJson(jestJson);
suites.push({ name: 'LWC (jest)', passed: jest?.passed ?? 0, failed: jest ? jest.failed : 1, ran: !!jest });
if (jest && jestExit !== 0 && jest.failed === 0) suites[suites.length - 1]!.failed = 1;

const vitestJson = join(outDir, 'vitest.json');
const vitestExit = run(bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${vitestJson}`
]);
const vitest = readJestOrVitestJson(vitestJson);
suites.push({
    name: 'vitest (listener, emulators, metadata, e2e, browser, reliability)',
    passed: vitest?.passed ?? 0,
    failed: vitest ? vitest.failed : 1,
    ran: !!vitest
});
if (vitest && vitestExit !== 0 && vitest.failed === 0) suites[suites.length - 1]!.failed = 1;

for (const suite of suites) {
    console.log(
        `${suite.name}: ${suite.passed} passed, ${suite.failed} failed${suite.ran ? '' : ' (did not run)'}`
    );
}
const passed = suites.reduce((sum, s) => sum + s.passed, 0);
const failed = suites.reduce((sum, s) => sum + s.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
