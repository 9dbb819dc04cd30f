// Real Chromium for the browser tests, from the npm registry: @sparticuz/chromium ships a headless Chromium inside its
// package, and playwright-core drives it. No browser download and no system package: `npm ci && npm test` is enough.
// Each run unpacks the binary into its own temporary directory (a few seconds), so parallel runs never share a
// half-written file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';
import type { Browser } from 'playwright-core';

// Flags of @sparticuz/chromium that loosen web security for its serverless use: the tests need the browser's normal
// rules (same-origin policy, content security policy) to be in force.
const LOOSENING = new Set([
    '--disable-web-security',
    '--allow-running-insecure-content',
    '--disable-site-isolation-trials'
]);

export interface TestBrowser {
    browser: Browser;
    close(): Promise<void>;
}

/** Unpacks and launches headless Chromium (no sandbox: the tests run as root in CI). */
export async function launchChromium(): Promise<TestBrowser> {
    const directory = mkdtempSync(join(tmpdir(), 'lsf-chromium-'));
    const previous = process.env.TMPDIR;
    // @sparticuz/chromium unpacks into os.tmpdir(), which follows TMPDIR.
    process.env.TMPDIR = directory;
    let executablePath: string;
    try {
        executablePath = await chromium.executablePath();
    } finally {
        if (previous === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = previous;
    }
    const browser = await playwright.launch({
        executablePath,
        args: chromium.args.filter((arg) => !LOOSENING.has(arg)),
        headless: true
    });
    return {
        browser,
        async close() {
            await browser.close();
            rmSync(directory, { recursive: true, force: true });
        }
    };
}
