// Settings as an admin types them (the admin page's settings box, or a JSON body to the admin API): every mistake is
// reported with where it is (line and column of the text) and what is wrong, in an admin's words rather than the
// validator's. The syntax is checked by jsonc-parser (strict JSON: no comments, no trailing commas), which also
// locates each key so a validation problem points at the line to fix.
import { findNodeAtLocation, parse, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { settingsSchema } from './settings.ts';
import type { Settings } from './settings.ts';

export interface SettingsProblem {
    /** 1-based line of the text where the problem is. */
    line: number;
    /** 1-based column (characters) on that line. */
    column: number;
    /** The setting concerned, e.g. `mapping.lead[2].to`; null for a syntax error. */
    path: string | null;
    /** What is wrong and what to write instead, in an admin's words. */
    message: string;
}

export type SettingsCheck = { ok: true; settings: Settings } | { ok: false; problems: SettingsProblem[] };

const SYNTAX_MESSAGES: Record<string, string> = {
    InvalidSymbol: 'this is not valid JSON (text values need double quotes, true/false/null are lower-case)',
    InvalidNumberFormat: 'this number is not written as JSON expects (digits, an optional "." and decimals)',
    PropertyNameExpected:
        'a setting name in double quotes is expected here (a comma after the last setting is not allowed)',
    ValueExpected: 'a value is expected here (a comma after the last item is not allowed)',
    ColonExpected: 'a colon (:) is missing between the setting name and its value',
    CommaExpected: 'a comma is missing between this and what comes before it',
    CloseBraceExpected: 'a closing } is missing',
    CloseBracketExpected: 'a closing ] is missing',
    EndOfFileExpected: 'there is text after the end of the settings (only one { … } is allowed)',
    InvalidCommentToken: 'comments are not allowed in JSON',
    UnexpectedEndOfComment: 'comments are not allowed in JSON',
    UnexpectedEndOfString: 'a text value is not closed with a double quote',
    UnexpectedEndOfNumber: 'a number is cut off',
    InvalidUnicode: 'a \\u escape needs four hexadecimal digits',
    InvalidEscapeCharacter: 'this backslash escape is not valid in JSON (write \\\\ for a backslash)',
    InvalidCharacter:
        'this character must be escaped inside a text value (write \\n for a line break, \\t for a tab)'
};

const TYPE_WORDS: Record<string, string> = {
    boolean: 'true or false',
    number: 'a number',
    int: 'a whole number',
    string: 'text in double quotes',
    array: 'a list in [ ]',
    object: 'an object in { }',
    record: 'an object in { }',
    null: 'null'
};

/** Where an offset of the text is, 1-based line and column. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(Math.max(offset, 0), text.length);
    for (let index = 0; index < end; index += 1) {
        if (text.charCodeAt(index) === 10) {
            line += 1;
            lineStart = index + 1;
        }
    }
    return { line, column: end - lineStart + 1 };
}

/** `mapping.lead[2].to` for ['mapping', 'lead', 2, 'to']. */
export function settingPath(path: readonly PropertyKey[]): string {
    let text = '';
    for (const part of path) {
        if (typeof part === 'number') text += `[${part}]`;
        else text += text === '' ? String(part) : `.${String(part)}`;
    }
    return text;
}

/** The zod issue, as a sentence about the setting (without its name). */
function issueWords(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case 'invalid_type': {
            const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
            return /received undefined/.test(issue.message)
                ? `is required (${expected})`
                : `must be ${expected}`;
        }
        case 'unrecognized_keys':
            return 'is not a setting: check its spelling against the README';
        case 'too_small':
            if (issue.origin === 'string') return 'must not be empty';
            if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
            return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
        case 'too_big':
            if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
            return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
        case 'invalid_value':
            return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
        case 'invalid_union':
            // A union with its own message says what it accepts; zod's default ("Invalid input") does not.
            return issue.message.startsWith('Invalid input')
                ? 'is not one of the accepted forms: see this setting in the README'
                : issue.message;
        case 'invalid_format':
        case 'custom':
            // Our schema's own messages ("must be a Salesforce field API name") are already in an admin's words.
            return issue.message;
        default:
            return issue.message;
    }
}

/** The text offset of a setting: its name for a misspelt key, its value otherwise, or the nearest enclosing value. */
function offsetOf(tree: Node | undefined, path: readonly PropertyKey[], atKey: boolean): number {
    if (!tree) return 0;
    const jsonPath = path.map((part) => (typeof part === 'number' ? part : String(part)));
    for (let length = jsonPath.length; length >= 0; length -= 1) {
        const node = findNodeAtLocation(tree, jsonPath.slice(0, length));
        if (!node) continue;
        if (atKey && length === jsonPath.length && node.parent?.type === 'property')
            return node.parent.offset;
        return node.offset;
    }
    return tree.offset;
}

/**
 * Checks settings text: JSON syntax first (every syntax error with its line and column), then the settings schema
 * (each problem with the setting's path and its line and column).
 * @param text what the admin typed
 * @returns the parsed settings, or at most 10 problems in text order
 * @example
 * const check = checkSettingsText('{ "dryRun": "yes" }');
 * // { ok: false, problems: [{ line: 1, column: 13, path: 'dryRun', message: 'must be true or false' }] }
 */
export function checkSettingsText(text: string): SettingsCheck {
    if (text.trim() === '') {
        return {
            ok: false,
            problems: [
                {
                    line: 1,
                    column: 1,
                    path: null,
                    message: 'the settings are empty: write {} for the built-in defaults'
                }
            ]
        };
    }
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    if (errors.length > 0) {
        // One problem per position: a stray comma is reported twice by the parser (no name, no value).
        const seen = new Set<number>();
        const first = errors.filter((error) => !seen.has(error.offset) && seen.add(error.offset));
        return {
            ok: false,
            problems: first.slice(0, 10).map((error) => ({
                ...lineAndColumn(text, error.offset),
                path: null,
                message: SYNTAX_MESSAGES[printParseErrorCode(error.error)] ?? 'this is not valid JSON'
            }))
        };
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (error) {
        // jsonc-parser and JSON.parse agree on strict JSON; this is a guard, with JSON.parse's own position.
        const position = /position (\d+)/.exec((error as Error).message)?.[1];
        return {
            ok: false,
            problems: [
                {
                    ...lineAndColumn(text, Number(position ?? 0)),
                    path: null,
                    message: 'this is not valid JSON'
                }
            ]
        };
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        return {
            ok: false,
            problems: [{ line: 1, column: 1, path: null, message: 'the settings must be one object in { }' }]
        };
    }
    const result = settingsSchema.safeParse(json);
    if (result.success) return { ok: true, settings: result.data };
    const tree = parseTree(text);
    const problems: (SettingsProblem & { offset: number })[] = [];
    for (const issue of result.error.issues) {
        if (issue.code === 'unrecognized_keys') {
            for (const key of issue.keys) {
                const path = [...issue.path, key];
                const offset = offsetOf(tree, path, true);
                problems.push({
                    offset,
                    ...lineAndColumn(text, offset),
                    path: settingPath(path),
                    message: issueWords(issue)
                });
            }
            continue;
        }
        const offset = offsetOf(tree, issue.path, false);
        problems.push({
            offset,
            ...lineAndColumn(text, offset),
            path: issue.path.length ? settingPath(issue.path) : null,
            message: issueWords(issue)
        });
    }
    problems.sort((a, b) => a.offset - b.offset);
    return { ok: false, problems: problems.slice(0, 10).map(({ offset: _offset, ...problem }) => problem) };
}

/** One line per problem: "Line 3, column 5 — mapping.lead[0].to: must be a Salesforce field API name". */
export function describeProblem(problem: SettingsProblem): string {
    const where = `Line ${problem.line}, column ${problem.column}`;
    return problem.path === null
        ? `${where}: ${problem.message}.`
        : `${where} — ${problem.path}: ${problem.message}.`;
}
