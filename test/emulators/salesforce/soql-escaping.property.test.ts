// The listener's SOQL literal escaping against the emulator's SOQL parser: any string, once quoted by soqlString,
// reads back as the same single literal (so no value can end the literal early and change the query), and a query by
// a hostile value finds exactly the record holding it — never one that only matches a wildcard reading of it.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soqlList, soqlString } from '../../../listener/src/salesforce/soql.ts';
import { cleanText } from '../../../listener/src/sync/records.ts';
import { MAX_STRING_LITERAL_LENGTH, parseSoql } from './soql.ts';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedLead, startTestOrg } from './test-helpers.ts';

const runs = Number(process.env.SOQL_PROPERTY_RUNS ?? 1000);

// Characters that mean something to SOQL, to LIKE, to JSON, to terminals and to bidirectional text, mixed with any
// code unit (lone surrogates included) so that every escape meets every neighbour.
const hostileUnit = fc.constantFrom(
    "'",
    '"',
    '\\',
    '%',
    '_',
    '\n',
    '\r',
    '\t',
    '\b',
    '\f',
    '\u0000',
    '\u001b',
    '\u007f',
    '\u200f',
    '\u202e',
    '\u2066',
    '\ufeff',
    '\ud83d',
    '\ude00',
    '😀',
    ' OR ',
    ')',
    '(',
    ','
);
const hostileString = fc
    .array(fc.oneof(hostileUnit, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 40 })
    .map((parts) => parts.join(''));
const anyString = fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 200 }));

type Where = { kind: string; op?: string; path?: string[]; value?: unknown; values?: unknown[] };

describe('soqlString against the SOQL parser', () => {
    it('any string reads back as the same literal, and the query keeps its shape', () => {
        fc.assert(
            fc.property(anyString, (value) => {
                const where = parseSoql(`SELECT Id FROM Lead WHERE Email = ${soqlString(value)} LIMIT 1`)
                    .where as Where;
                expect(where).toEqual({
                    kind: 'compare',
                    path: ['Email'],
                    op: '=',
                    value: { kind: 'string', value }
                });
            }),
            { numRuns: runs }
        );
    }, 120_000);

    it('any list of strings reads back as the same IN list', () => {
        fc.assert(
            fc.property(fc.array(anyString, { minLength: 1, maxLength: 8 }), (values) => {
                const parsed = parseSoql(
                    `SELECT Id FROM Lead WHERE Email IN ${soqlList(values)} ORDER BY Id`
                );
                expect(parsed.where).toEqual({
                    kind: 'in',
                    path: ['Email'],
                    negated: false,
                    values: values.map((value) => ({ kind: 'string', value }))
                });
                expect(parsed.orderBy).toHaveLength(1);
            }),
            { numRuns: runs }
        );
    }, 120_000);

    it('a literal as long as Salesforce allows in a WHERE clause still round-trips', () => {
        const value = "'\\%_".repeat(MAX_STRING_LITERAL_LENGTH / 4);
        const where = parseSoql(`SELECT Id FROM Lead WHERE LastName = ${soqlString(value)}`).where as Where;
        expect(where.value).toEqual({ kind: 'string', value });
    });
});

describe('a query by a hostile value against the org', () => {
    let org: TestOrg;
    beforeAll(async () => {
        org = await startTestOrg();
    });
    afterAll(closeTestOrgs);

    it('finds exactly the record holding the value, not one a wildcard or a broken quote would match', async () => {
        const samples = fc.sample(
            // Values a text field can hold: what the listener writes (control characters and lone surrogates removed).
            hostileString.map((value) => cleanText(value)).filter((value) => value.trim().length > 0),
            { numRuns: 40, seed: 12 }
        );
        for (const [index, raw] of samples.entries()) {
            const value = `${raw.slice(0, 60)}#${index}`;
            const decoy = `${value.replaceAll('%', 'x').replaceAll('_', 'y')}decoy`;
            const id = seedLead(org, { LastName: value, Company: 'Hostile' });
            seedLead(org, { LastName: decoy, Company: 'Hostile' });
            const answer = await org.query(
                `SELECT Id, LastName FROM Lead WHERE LastName = ${soqlString(value)} AND Company = 'Hostile'`
            );
            expect(answer.status, JSON.stringify(answer.body)).toBe(200);
            expect(answer.body.records.map((record: { Id: string }) => record.Id)).toEqual([id]);
            expect(answer.body.records[0].LastName).toBe(value);
        }
    });
});
