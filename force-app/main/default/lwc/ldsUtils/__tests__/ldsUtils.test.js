import { reduceErrors } from 'c/ldsUtils';

describe('c-lds-utils', () => {
    describe('reduceErrors', () => {
        it('reads the messages of a UI API error body array', () => {
            const error = {
                status: 403,
                body: [
                    { errorCode: 'INSUFFICIENT_ACCESS', message: 'You do not have access to the Campaign.' },
                    { errorCode: 'INVALID_FIELD', message: 'No such column.' }
                ]
            };

            expect(reduceErrors(error)).toEqual([
                'You do not have access to the Campaign.',
                'No such column.'
            ]);
        });

        it('reads page and field errors of a record save', () => {
            const error = {
                body: {
                    output: {
                        errors: [{ message: 'Duplicate value found.' }],
                        fieldErrors: { Name: [{ message: 'Required fields are missing: [Name]' }] }
                    }
                }
            };

            expect(reduceErrors(error)).toEqual([
                'Duplicate value found.',
                'Required fields are missing: [Name]'
            ]);
        });

        it('reads the message of a fetch error body', () => {
            expect(reduceErrors({ body: { message: 'The requested resource does not exist' } })).toEqual([
                'The requested resource does not exist'
            ]);
        });

        it('reads a JavaScript error and a bare status text', () => {
            expect(reduceErrors([new TypeError('x is undefined'), { statusText: 'Bad Request' }])).toEqual([
                'x is undefined',
                'Bad Request'
            ]);
        });

        it('drops empty entries', () => {
            expect(reduceErrors([undefined, null, { body: [] }])).toEqual([]);
        });
    });
});
