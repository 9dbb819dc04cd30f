import { describe, expect, it } from 'vitest';
import { defaultSettings } from './settings.ts';
import { checkSettingsText, describeProblem, lineAndColumn } from './settings-text.ts';

function problems(text: string): string[] {
    const check = checkSettingsText(text);
    return check.ok ? [] : check.problems.map(describeProblem);
}

describe('checkSettingsText', () => {
    it('accepts valid settings and fills the defaults', () => {
        const check = checkSettingsText('{\n  "dryRun": true\n}');
        expect(check).toEqual({ ok: true, settings: { ...defaultSettings(), dryRun: true } });
    });

    it('names the line and column of a JSON syntax error, in words', () => {
        expect(problems('{\n  "dryRun": true\n  "leadSource": "Webinar"\n}')).toEqual([
            'Line 3, column 3: a comma is missing between this and what comes before it.'
        ]);
        expect(problems('{\n  "dryRun": true,\n}')).toEqual([
            'Line 3, column 1: a setting name in double quotes is expected here (a comma after the last setting is not allowed).'
        ]);
        expect(problems('{ "leadSource": "Web\tinar" }')).toEqual([
            'Line 1, column 17: this character must be escaped inside a text value (write \\n for a line break, \\t for a tab).'
        ]);
        expect(problems('{ // mine\n}')).toEqual(['Line 1, column 3: comments are not allowed in JSON.']);
        expect(problems('  ')).toEqual([
            'Line 1, column 1: the settings are empty: write {} for the built-in defaults.'
        ]);
        expect(problems('[]')).toEqual(['Line 1, column 1: the settings must be one object in { }.']);
    });

    it('names the setting, its line and column, and what it must be', () => {
        expect(problems('{\n  "dryRun": "yes"\n}')).toEqual([
            'Line 2, column 13 — dryRun: must be true or false.'
        ]);
        expect(problems('{\n  "enabledByDefult": false\n}')).toEqual([
            'Line 2, column 3 — enabledByDefult: is not a setting: check its spelling against the README.'
        ]);
        expect(
            problems(
                '{\n  "apiBudgetShare": 2,\n  "mapping": {\n    "lead": [{ "from": "first_name", "to": "First Name" }]\n  }\n}'
            )
        ).toEqual([
            'Line 2, column 21 — apiBudgetShare: must be at most 1.',
            'Line 4, column 44 — mapping.lead[0].to: must be a Salesforce field API name.'
        ]);
        expect(problems('{ "contactAccount": { "strategy": "fixed" } }')).toEqual([
            'Line 1, column 21 — contactAccount.accountId: is required (text in double quotes).'
        ]);
        expect(problems('{ "campaign": { "nameTemplate": "" } }')).toEqual([
            'Line 1, column 33 — campaign.nameTemplate: must not be empty.'
        ]);
    });

    it('counts lines and columns from 1', () => {
        expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
        expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    });
});
