import { describe, expect, it } from 'vitest';
import { soqlId, soqlList, soqlString } from './soql.ts';

describe('soqlString', () => {
    it("escapes the apostrophe of o'brien", () => {
        expect(soqlString("o'brien@example.com")).toBe("'o\\'brien@example.com'");
    });
    it('escapes backslashes before quotes so a trailing backslash cannot end the literal', () => {
        expect(soqlString("a\\' OR Name != '")).toBe("'a\\\\\\' OR Name != \\''");
    });
    it('escapes control characters', () => {
        expect(soqlString('a\nb\tc"d')).toBe("'a\\nb\\tc\\\"d'");
    });
});

describe('soqlList', () => {
    it('joins escaped literals', () => {
        expect(soqlList(['a@x.io', "o'b@x.io"])).toBe("('a@x.io', 'o\\'b@x.io')");
    });
    it('refuses an empty list', () => {
        expect(() => soqlList([])).toThrow(/at least one/);
    });
});

describe('soqlId', () => {
    it('accepts 15 and 18 character ids', () => {
        expect(soqlId('701000000000001')).toBe("'701000000000001'");
        expect(soqlId('701000000000001AAA')).toBe("'701000000000001AAA'");
    });
    it('refuses anything else', () => {
        expect(() => soqlId("701' OR Id != '")).toThrow(/not a Salesforce id/);
    });
});
