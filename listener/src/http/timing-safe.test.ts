import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from './timing-safe.ts';

describe('constantTimeEqual', () => {
    it('accepts the same string', () => {
        expect(constantTimeEqual('s3cr3t-token', 's3cr3t-token')).toBe(true);
    });

    it.each([
        ['a different value of the same length', 's3cr3t-tokeN'],
        ['a prefix', 's3cr3t'],
        ['a longer value', 's3cr3t-token-and-more'],
        ['the empty string', '']
    ])('refuses %s', (_case, received) => {
        expect(constantTimeEqual('s3cr3t-token', received)).toBe(false);
    });

    it('refuses a missing value', () => {
        expect(constantTimeEqual('s3cr3t-token', undefined)).toBe(false);
        expect(constantTimeEqual('s3cr3t-token', null)).toBe(false);
    });

    it('compares multi-byte characters exactly', () => {
        expect(constantTimeEqual('clé-été', 'clé-été')).toBe(true);
        expect(constantTimeEqual('clé-été', 'cle-ete')).toBe(false);
    });
});
