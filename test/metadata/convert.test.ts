import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSf, type SfResult } from '../../scripts/lib/sf.ts';
import {
    customFields,
    parseXml,
    repositoryRoot,
    sourceApiVersion,
    text,
    type XmlNode
} from './package-metadata.ts';

// Measured here: about 3.5 s. The limit leaves room for a cold disk cache without hiding a hang.
const CONVERT_TIMEOUT_MS = 60_000;

let workDir: string;
let outputDir: string;
let result: SfResult;

beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'livestorm-convert-'));
    outputDir = join(workDir, 'mdapi');
    // A fresh HOME: no sf configuration, cached auth or default org of the person running the tests.
    const home = join(workDir, 'home');
    result = await runSf(
        ['project', 'convert', 'source', '--source-dir', 'force-app', '--output-dir', outputDir, '--json'],
        {
            cwd: repositoryRoot,
            env: { ...process.env, HOME: home, USERPROFILE: home },
            timeoutMs: CONVERT_TIMEOUT_MS
        }
    );
}, CONVERT_TIMEOUT_MS + 30_000);

afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
});

function packageTypes(): Record<string, string[]> {
    const manifest = parseXml(join(outputDir, 'package.xml'))['Package'] as XmlNode;
    const types = manifest['types'];
    const list = (Array.isArray(types) ? types : [types]) as XmlNode[];
    return Object.fromEntries(
        list.map((entry) => {
            const members = entry['members'];
            const names = (Array.isArray(members) ? members : [members]).map((member) => text(member) ?? '');
            return [text(entry['name']) ?? '', names.sort()];
        })
    );
}

describe('sf project convert source', () => {
    it('converts force-app to Metadata API format without an org', () => {
        expect(result.timedOut, `sf did not finish within ${CONVERT_TIMEOUT_MS} ms`).toBe(false);
        expect(result.code, result.stderr || result.stdout).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ status: 0, result: { location: outputDir } });
        expect(result.durationMs).toBeLessThan(CONVERT_TIMEOUT_MS);
    });

    it('lists every component of the package in package.xml at the source API version', () => {
        const types = packageTypes();
        expect(types['CustomField']).toEqual(
            customFields()
                .map((entry) => `${entry.object}.${entry.name}`)
                .sort()
        );
        expect(types['CustomObject']).toEqual(['Livestorm_Member_Status__mdt']);
        expect(types['CustomMetadata']).toEqual([
            'Livestorm_Member_Status.Attended',
            'Livestorm_Member_Status.Not_Attended',
            'Livestorm_Member_Status.Registered'
        ]);
        expect(types['PermissionSet']).toEqual(['Livestorm_Integration', 'Livestorm_Viewer']);
        expect(types['CustomTab']).toEqual(['Livestorm_Setup']);
        expect(types['FlexiPage']).toEqual(['Livestorm_Setup']);
        expect(types['LightningComponentBundle']).toEqual(
            expect.arrayContaining(['ldsUtils', 'livestormSessionCard', 'livestormSetupCheck'])
        );
        expect(types['StandardValueSet']).toBeUndefined();
        const manifest = parseXml(join(outputDir, 'package.xml'))['Package'] as XmlNode;
        expect(text(manifest['version'])).toBe(sourceApiVersion());
    });

    it('leaves the Jest tests and their data out of the deployable output', () => {
        const files = readdirSync(join(outputDir, 'lwc'), { recursive: true, encoding: 'utf8' });
        expect(files.filter((name) => name.includes('__tests__'))).toEqual([]);
        expect(existsSync(join(outputDir, 'lwc', 'livestormSetupCheck', 'livestormSetupCheck.js'))).toBe(
            true
        );
    });

    it('merges the Livestorm fields into the standard objects they extend', () => {
        const campaign = parseXml(join(outputDir, 'objects', 'Campaign.object'))['CustomObject'] as XmlNode;
        const fields = campaign['fields'];
        const names = (Array.isArray(fields) ? fields : [fields]).map((entry) =>
            text((entry as XmlNode)['fullName'])
        );
        expect(names).toContain('Livestorm_Session_Id__c');
        expect(names).toHaveLength(customFields(undefined, 'Campaign').length);
    });
});
