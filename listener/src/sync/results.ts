// Reading composite and sObject Collections answers. The top level of /composite is 200 even when every subrequest
// failed, so every subrequest and every record is inspected.
import type { CompositeSubresponse } from '../salesforce/connection.ts';

export interface RecordError {
    code: string;
    message: string;
    fields: string[];
}

export interface RecordResult {
    id: string | null;
    success: boolean;
    created?: boolean;
    errors: RecordError[];
}

interface RawCollectionResult {
    id?: string | null;
    success?: boolean;
    created?: boolean;
    errors?: { statusCode?: string; errorCode?: string; message?: string; fields?: string[] }[];
}

/** The errors of a failed subrequest (body is an error array) as record errors. */
export function subrequestErrors(response: CompositeSubresponse | undefined): RecordError[] {
    if (!response)
        return [{ code: 'NO_RESPONSE', message: 'Salesforce did not answer this subrequest', fields: [] }];
    const body = response.body;
    if (Array.isArray(body)) {
        const errors = body
            .filter(
                (
                    item
                ): item is { errorCode?: string; statusCode?: string; message?: string; fields?: string[] } =>
                    typeof item === 'object' && item !== null
            )
            .filter((item) => item.errorCode || item.statusCode)
            .map((item) => ({
                code: item.errorCode ?? item.statusCode ?? 'UNKNOWN',
                message: item.message ?? '',
                fields: item.fields ?? []
            }));
        if (errors.length) return errors;
    }
    return [
        { code: `HTTP_${response.httpStatusCode}`, message: JSON.stringify(body).slice(0, 300), fields: [] }
    ];
}

export function succeeded(response: CompositeSubresponse | undefined): response is CompositeSubresponse {
    return !!response && response.httpStatusCode >= 200 && response.httpStatusCode < 300;
}

/**
 * Per-record results of a collection subrequest, in request order. A failed subrequest (e.g. a reference to a record
 * that was not created) fails every record with its error.
 */
export function collectionResults(response: CompositeSubresponse | undefined, count: number): RecordResult[] {
    if (succeeded(response) && Array.isArray(response.body)) {
        const raw = response.body as RawCollectionResult[];
        return Array.from({ length: count }, (_, index) => {
            const result = raw[index];
            if (!result)
                return {
                    id: null,
                    success: false,
                    errors: [{ code: 'NO_RESULT', message: 'no result for this record', fields: [] }]
                };
            return {
                id: result.id ?? null,
                success: result.success === true,
                created: result.created,
                errors: (result.errors ?? []).map((error) => ({
                    code: error.statusCode ?? error.errorCode ?? 'UNKNOWN',
                    message: error.message ?? '',
                    fields: error.fields ?? []
                }))
            };
        });
    }
    const errors = subrequestErrors(response);
    return Array.from({ length: count }, () => ({ id: null, success: false, errors }));
}

export function queryRecords<T>(response: CompositeSubresponse | undefined): T[] | undefined {
    if (!succeeded(response)) return undefined;
    return (response.body as { records?: T[] }).records ?? [];
}
