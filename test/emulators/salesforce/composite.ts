// POST /services/data/vXX.X/composite (REST "Composite"): up to 25 subrequests run in order in one
// API call, later ones referencing earlier results with @{referenceId.path}.
import type { Api, ApiRequest, CallContext, Reply } from './api.ts';
import { classify, servedVersion } from './api.ts';
import { RequestError } from './values.ts';

interface Subrequest {
    method: string;
    url: string;
    referenceId: string;
    body?: unknown;
    httpHeaders?: Record<string, string>;
}

interface SubResult {
    body: unknown;
    httpHeaders: Record<string, string>;
    httpStatusCode: number;
    referenceId: string;
}

export const MAX_SUBREQUESTS = 25;
export const MAX_QUERY_OR_COLLECTION_SUBREQUESTS = 5;

const PROCESSING_HALTED = {
    errorCode: 'PROCESSING_HALTED',
    message: 'The transaction was rolled back since another operation in the same transaction failed.'
};

const REFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9_]*$/;

class ReferenceError_ extends Error {}

function invalidReference(expression: string, referenceId: string): ReferenceError_ {
    return new ReferenceError_(
        `Invalid reference specified. No value for ${expression} found in ${referenceId}. Provided referenceId ('${expression}') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_').`
    );
}

/** Follows `ref.a.b[0].c` into an earlier subrequest's body; names are case-sensitive (`@{refAccount.Id}` fails). */
function lookupReference(expression: string, results: Map<string, SubResult>): unknown {
    const match = /^([A-Za-z0-9][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])*)$/.exec(expression);
    const referenceId = match?.[1] ?? expression.split(/[.[]/)[0] ?? expression;
    if (!match) throw invalidReference(expression, referenceId);
    const result = results.get(referenceId);
    if (!result || result.httpStatusCode >= 400) throw invalidReference(expression, referenceId);
    let value: unknown = result.body;
    for (const step of (match[2] ?? '').match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
        if (value === null || typeof value !== 'object') throw invalidReference(expression, referenceId);
        if (step.startsWith('[')) {
            if (!Array.isArray(value)) throw invalidReference(expression, referenceId);
            value = value[Number(step.slice(1, -1))];
        } else {
            if (Array.isArray(value)) throw invalidReference(expression, referenceId);
            value = (value as Record<string, unknown>)[step.slice(1)];
        }
    }
    // A reference to a null or missing value fails the subrequest (example composite/07, API 51.0+).
    if (value === null || value === undefined || typeof value === 'object')
        throw invalidReference(expression, referenceId);
    return value;
}

const REFERENCE = /@\{([^}]*)\}/g;

function substitute(value: unknown, results: Map<string, SubResult>): unknown {
    if (typeof value === 'string') {
        const whole = /^@\{([^}]*)\}$/.exec(value);
        if (whole) return lookupReference(whole[1] ?? '', results);
        return value.replace(REFERENCE, (_, expression: string) =>
            String(lookupReference(expression, results))
        );
    }
    if (Array.isArray(value)) return value.map((item) => substitute(item, results));
    if (value !== null && typeof value === 'object') {
        return Object.fromEntries(
            Object.entries(value).map(([key, item]) => [key, substitute(item, results)])
        );
    }
    return value;
}

function parseSubrequests(body: unknown): { allOrNone: boolean; subrequests: Subrequest[] } {
    const request = body as { allOrNone?: unknown; compositeRequest?: unknown } | null;
    if (
        !request ||
        typeof request !== 'object' ||
        !Array.isArray(request.compositeRequest) ||
        request.compositeRequest.length === 0
    ) {
        throw new RequestError(
            400,
            'JSON_PARSER_ERROR',
            'compositeRequest must be a non-empty array of subrequests'
        );
    }
    const subrequests = request.compositeRequest as Subrequest[];
    // "You can have up to 25 subrequests in a single call. Up to 5 of these subrequests can be sObject
    // Collections or query operations, including Query and QueryAll requests." (REST "Composite").
    // The wording of the refusal is not in the reference.
    if (subrequests.length > MAX_SUBREQUESTS) {
        throw new RequestError(
            400,
            'LIMIT_EXCEEDED',
            `A composite request can have up to ${MAX_SUBREQUESTS} subrequests`
        );
    }
    const referenceIds = new Set<string>();
    let heavy = 0;
    for (const subrequest of subrequests) {
        if (typeof subrequest?.method !== 'string' || typeof subrequest.url !== 'string') {
            throw new RequestError(400, 'JSON_PARSER_ERROR', 'Each subrequest needs a method and a url');
        }
        if (typeof subrequest.referenceId !== 'string' || !REFERENCE_ID.test(subrequest.referenceId)) {
            throw new RequestError(
                400,
                'INVALID_INPUT',
                `Invalid referenceId: ${String(subrequest.referenceId)}`
            );
        }
        if (referenceIds.has(subrequest.referenceId)) {
            throw new RequestError(
                400,
                'INVALID_INPUT',
                `Duplicate referenceId provided in the request: ${subrequest.referenceId}`
            );
        }
        referenceIds.add(subrequest.referenceId);
        const path = /^\/services\/data\/v[^/]+(\/[^?]*)?/.exec(subrequest.url)?.[1] ?? '';
        const kind = classify(path);
        if (kind === 'query' || kind === 'collections') heavy += 1;
    }
    if (heavy > MAX_QUERY_OR_COLLECTION_SUBREQUESTS) {
        throw new RequestError(
            400,
            'LIMIT_EXCEEDED',
            `A composite request can have up to ${MAX_QUERY_OR_COLLECTION_SUBREQUESTS} sObject Collections or query subrequests`
        );
    }
    return { allOrNone: request.allOrNone === true, subrequests };
}

// Headers a subrequest may not set: they are inherited from the composite request (reference rest/02).
const INHERITED_HEADERS = ['accept', 'authorization', 'content-type'];

export async function runComposite(
    api: Api,
    call: CallContext,
    outer: ApiRequest
): Promise<{ reply: Reply; subrequests: number }> {
    const { allOrNone, subrequests } = parseSubrequests(outer.body);
    const results = new Map<string, SubResult>();
    const responses: SubResult[] = [];
    let halted = false;
    for (const subrequest of subrequests) {
        const { referenceId } = subrequest;
        if (halted) {
            responses.push({ body: [PROCESSING_HALTED], httpHeaders: {}, httpStatusCode: 400, referenceId });
            continue;
        }
        const result = await runSubrequest(api, call, subrequest, results);
        results.set(referenceId, result);
        responses.push(result);
        const failed =
            result.httpStatusCode >= 400 ||
            (Array.isArray(result.body) &&
                result.body.some((item) => (item as { success?: unknown })?.success === false));
        if (failed && allOrNone) {
            // allOrNone: the whole request is rolled back; the failing subrequest keeps its error and every
            // other one reports PROCESSING_HALTED (examples composite/04 and 06).
            call.tx.rollbackTo(0);
            halted = true;
            for (const earlier of responses) {
                if (earlier === result) continue;
                earlier.body = [PROCESSING_HALTED];
                earlier.httpHeaders = {};
                earlier.httpStatusCode = 400;
            }
        }
    }
    return {
        reply: { status: 200, body: { compositeResponse: responses } },
        subrequests: subrequests.length
    };
}

async function runSubrequest(
    api: Api,
    call: CallContext,
    subrequest: Subrequest,
    results: Map<string, SubResult>
): Promise<SubResult> {
    const { referenceId } = subrequest;
    const failure = (status: number, errorCode: string, message: string): SubResult => ({
        body: [{ errorCode, message }],
        httpHeaders: {},
        httpStatusCode: status,
        referenceId
    });
    let url: string;
    let body: unknown;
    try {
        url = String(substitute(subrequest.url, results));
        body = substitute(subrequest.body, results);
    } catch (error) {
        if (error instanceof ReferenceError_) return failure(400, 'PROCESSING_HALTED', error.message);
        throw error;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(subrequest.httpHeaders ?? {})) {
        if (INHERITED_HEADERS.includes(name.toLowerCase())) {
            return failure(400, 'INVALID_INPUT', `The ${name} header cannot be set on a subrequest`);
        }
        headers[name.toLowerCase()] = String(value);
    }
    const match = /^\/services\/data\/(v[^/?]+)([^?]*)(?:\?(.*))?$/.exec(url);
    const version = match ? servedVersion(match[1] ?? '', api.newestVersion) : undefined;
    if (!match || !version) return failure(404, 'NOT_FOUND', 'The requested resource does not exist');
    const path = match[2] ?? '';
    const kind = classify(path);
    if (kind === 'composite' || (kind === 'collections' && Number.parseFloat(version) < 43)) {
        return failure(400, 'INVALID_INPUT', `The resource ${path} is not supported in a composite request`);
    }
    const reply = await api.handle(call, {
        method: subrequest.method.toUpperCase(),
        version,
        path,
        query: new URLSearchParams(match[3] ?? ''),
        body,
        headers
    });
    return { body: reply.body, httpHeaders: reply.headers ?? {}, httpStatusCode: reply.status, referenceId };
}
