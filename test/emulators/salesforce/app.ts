import { createHmac, createVerify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { CallContext, Reply } from './api.ts';
import { Api, classify, servedVersion, versionsList } from './api.ts';
import { runComposite } from './composite.ts';
import { Transaction } from './engine.ts';
import { REQUEST_LIMIT_MESSAGES } from './state.ts';
import type { CallKind, EmulatorState } from './state.ts';
import { RequestError } from './values.ts';

// "REST GET URI + headers max 16,384 bytes" (help article 000386264, reference soql/01).
export const MAX_URI_BYTES = 16_384;

const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function oauthError(c: Context, error: string, description: string): Response {
    return c.json({ error, error_description: description }, 400);
}

function decodeJwtPart(part: string): Record<string, unknown> | undefined {
    try {
        const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
        return value && typeof value === 'object' && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

function json(c: Context, reply: Reply, extraHeaders: Record<string, string> = {}): Response {
    const headers = { ...(reply.headers ?? {}), ...extraHeaders };
    if (reply.status === 204 || reply.body === null) {
        return c.body(null, reply.status as 204, headers);
    }
    return c.body(JSON.stringify(reply.body), reply.status as 200, {
        'Content-Type': 'application/json;charset=UTF-8',
        ...headers
    });
}

export function createApp(state: EmulatorState, instanceUrl: () => string): Hono {
    const app = new Hono();
    const api = new Api(state, instanceUrl);

    app.use('*', async (c, next) => {
        const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
        const target = incoming?.url ?? new URL(c.req.url).pathname + new URL(c.req.url).search;
        if (Buffer.byteLength(target, 'utf8') > MAX_URI_BYTES) {
            state.record(
                { method: c.req.method, path: new URL(c.req.url).pathname, kind: 'other', status: 414 },
                false
            );
            return c.text('Request-URI Too Large', 414);
        }
        await next();
    });

    app.post('/services/oauth2/token', async (c) => {
        const respond = (response: Response): Response => {
            state.record(
                { method: 'POST', path: '/services/oauth2/token', kind: 'token', status: response.status },
                false
            );
            return response;
        };
        const form = await c.req.parseBody();
        const grantType = String(form.grant_type ?? '');
        const { clientId, clientSecret, jwtPublicKey } = state.settings;
        if (grantType === 'client_credentials') {
            const id = typeof form.client_id === 'string' ? form.client_id : '';
            const secret = typeof form.client_secret === 'string' ? form.client_secret : '';
            if (!id) return respond(oauthError(c, 'invalid_client_id', 'client identifier invalid'));
            if (
                (clientId !== undefined && id !== clientId) ||
                (clientSecret !== undefined && secret !== clientSecret) ||
                !secret
            ) {
                return respond(oauthError(c, 'invalid_client', 'invalid client credentials'));
            }
        } else if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
            const assertion = typeof form.assertion === 'string' ? form.assertion : '';
            const parts = assertion.split('.');
            const header = parts.length === 3 ? decodeJwtPart(parts[0] ?? '') : undefined;
            const claims = parts.length === 3 ? decodeJwtPart(parts[1] ?? '') : undefined;
            if (!header || !claims || typeof header.alg !== 'string') {
                return respond(oauthError(c, 'invalid_grant', 'invalid assertion'));
            }
            const { iss, sub, aud, exp } = claims;
            if (
                typeof iss !== 'string' ||
                typeof sub !== 'string' ||
                typeof aud !== 'string' ||
                typeof exp !== 'number'
            ) {
                return respond(oauthError(c, 'invalid_grant', 'invalid assertion'));
            }
            if (clientId !== undefined && iss !== clientId) {
                return respond(oauthError(c, 'invalid_client_id', 'client identifier invalid'));
            }
            const audiences = ['https://login.salesforce.com', 'https://test.salesforce.com', instanceUrl()];
            if (!audiences.includes(aud.replace(/\/$/, '')))
                return respond(oauthError(c, 'invalid_grant', 'audience is invalid'));
            if (exp * 1000 <= Date.now())
                return respond(oauthError(c, 'invalid_grant', 'expired authorization code'));
            if (jwtPublicKey) {
                const verifier = createVerify('RSA-SHA256');
                verifier.update(`${parts[0]}.${parts[1]}`);
                if (
                    header.alg !== 'RS256' ||
                    !verifier.verify(jwtPublicKey, Buffer.from(parts[2] ?? '', 'base64url'))
                ) {
                    return respond(oauthError(c, 'invalid_grant', 'invalid assertion'));
                }
            }
        } else {
            return respond(oauthError(c, 'unsupported_grant_type', 'grant type not supported'));
        }
        const accessToken = state.issueToken();
        const issuedAt = String(Date.now());
        const id = `${instanceUrl()}/id/${state.orgId}/${state.db.integrationUserId}`;
        return respond(
            c.json({
                access_token: accessToken,
                instance_url: instanceUrl(),
                id,
                token_type: 'Bearer',
                issued_at: issuedAt,
                signature: createHmac('sha256', state.orgId)
                    .update(id + issuedAt)
                    .digest('base64'),
                scope: 'api'
            })
        );
    });

    const versions = (c: Context): Response => {
        // The Versions resource needs no session and carries no Sforce-Limit-Info (reference rest/02).
        state.apiUsed += 1;
        state.record(
            { method: c.req.method, path: new URL(c.req.url).pathname, kind: 'versions', status: 200 },
            true
        );
        return c.json(versionsList(state.settings.apiVersion));
    };
    app.get('/services/data', versions);
    app.get('/services/data/', versions);

    app.all('/services/data/*', async (c) => {
        const url = new URL(c.req.url);
        const method = c.req.method;
        const match = /^\/services\/data\/([^/]+)(\/.*)?$/.exec(url.pathname);
        const path = match?.[2] ?? '';
        const kind: CallKind = classify(path);
        const logEntry = { method, path: url.pathname, kind };
        const limitHeader = (): Record<string, string> => ({ 'Sforce-Limit-Info': state.limitInfo() });

        const serverErrors = state.faults.serverErrors;
        if (serverErrors && serverErrors.count > 0) {
            serverErrors.count -= 1;
            const status = serverErrors.status ?? 500;
            state.record({ ...logEntry, status }, false);
            const body =
                status === 503
                    ? [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }]
                    : [
                          {
                              message:
                                  'An unexpected error occurred. Please include this ErrorId if you contact support.',
                              errorCode: 'UNKNOWN_EXCEPTION'
                          }
                      ];
            return json(c, { status, body });
        }
        const authorization = c.req.header('authorization') ?? '';
        const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(authorization)?.[1];
        if (!state.tokenValid(token)) {
            state.record({ ...logEntry, status: 401 }, false);
            return json(c, { status: 401, body: INVALID_SESSION });
        }
        // 403 REQUEST_LIMIT_EXCEEDED, with the message naming the limit (REQUEST_LIMIT_MESSAGES in state.ts cites the
        // sources): an injected concurrency or daily-limit answer first, then the real allocation.
        const limitKind =
            state.injectedRequestLimit() ?? (state.limitReached() ? 'TotalRequests' : undefined);
        if (limitKind) {
            state.record({ ...logEntry, status: 403 }, false);
            return json(
                c,
                {
                    status: 403,
                    body: [
                        { message: REQUEST_LIMIT_MESSAGES[limitKind], errorCode: 'REQUEST_LIMIT_EXCEEDED' }
                    ]
                },
                limitHeader()
            );
        }
        state.apiUsed += 1;
        const version = servedVersion(match?.[1] ?? '', state.settings.apiVersion);
        if (!version) {
            state.record({ ...logEntry, status: 404 }, true);
            return json(
                c,
                {
                    status: 404,
                    body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]
                },
                limitHeader()
            );
        }
        let body: unknown;
        if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
            const text = await c.req.text();
            if (text.trim() !== '') {
                try {
                    body = JSON.parse(text);
                } catch (error) {
                    state.record({ ...logEntry, status: 400 }, true);
                    const message = error instanceof Error ? error.message : 'Invalid JSON';
                    return json(
                        c,
                        { status: 400, body: [{ message, errorCode: 'JSON_PARSER_ERROR' }] },
                        limitHeader()
                    );
                }
            }
        }
        const headers: Record<string, string> = {};
        c.req.raw.headers.forEach((value, name) => {
            headers[name.toLowerCase()] = value;
        });
        const call: CallContext = { owner: {}, tx: new Transaction(), records: 0 };
        let reply: Reply;
        let subrequests: number | undefined;
        try {
            if (kind === 'composite' && method === 'POST') {
                const result = await runCompositeSafely(api, call, {
                    method,
                    version,
                    path,
                    query: url.searchParams,
                    body,
                    headers
                });
                reply = result.reply;
                subrequests = result.subrequests;
            } else {
                reply = await api.handle(call, {
                    method,
                    version,
                    path,
                    query: url.searchParams,
                    body,
                    headers
                });
            }
            const delay = state.settings.latencyMs + state.settings.perRecordLatencyMs * call.records;
            if (delay > 0) await sleep(delay);
        } catch (error) {
            call.tx.rollbackTo(0);
            throw error;
        } finally {
            state.locks.releaseAll(call.owner);
        }
        const entry = { ...logEntry, status: reply.status, records: call.records };
        state.record(subrequests === undefined ? entry : { ...entry, subrequests }, true);
        return json(c, reply, limitHeader());
    });

    // The identity URL (Salesforce Help "Identity URLs", https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm):
    // GET /id/<org id>/<user id> with the access token (Authorization header or oauth_token parameter) answers the
    // user's details and the org's endpoints. Errors: 403 Missing_OAuth_Token / Bad_OAuth_Token / Wrong_Org, 404
    // Bad_Id. The identity service is not the REST API: the call is not counted against the daily allocation.
    app.get('/id/:orgId/:userId', (c) => {
        const respond = (response: Response): Response => {
            state.record(
                { method: 'GET', path: new URL(c.req.url).pathname, kind: 'other', status: response.status },
                false
            );
            return response;
        };
        const header = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
        const token = header ?? c.req.query('oauth_token');
        if (token === undefined) return respond(c.text('Missing_OAuth_Token', 403));
        if (!state.tokenValid(token)) return respond(c.text('Bad_OAuth_Token', 403));
        const orgId = c.req.param('orgId');
        if (orgId.slice(0, 15) !== state.orgId.slice(0, 15)) return respond(c.text('Wrong_Org', 403));
        const user = state.db.lookup(c.req.param('userId'));
        if (!user || user.object.name !== 'User') return respond(c.text('Bad_Id', 404));
        const row = user.row;
        const base = instanceUrl();
        const version = state.settings.apiVersion;
        return respond(
            c.json({
                id: `${base}/id/${state.orgId}/${String(row.Id)}`,
                asserted_user: String(row.Id) === state.db.integrationUserId,
                user_id: row.Id,
                organization_id: state.orgId,
                username: row.Username,
                nick_name: String(row.Username ?? '').split('@')[0],
                display_name: [row.FirstName, row.LastName].filter(Boolean).join(' '),
                email: row.Email,
                active: row.IsActive !== false,
                user_type: 'STANDARD',
                language: 'en_US',
                locale: 'en_US',
                utcOffset: 0,
                urls: {
                    rest: `${base}/services/data/v${version}/`,
                    sobjects: `${base}/services/data/v${version}/sobjects/`,
                    query: `${base}/services/data/v${version}/query/`,
                    recent: `${base}/services/data/v${version}/recent/`,
                    profile: `${base}/${String(row.Id)}`
                }
            })
        );
    });

    // A Lightning record page, reduced to what a link needs: the record's name and object, so links the listener
    // shows (`<instance URL>/lightning/r/<sObject>/<Id>/view`, the Lightning Experience record URL format) can be
    // followed in tests. An unknown or deleted record gets a 404 page.
    app.get('/lightning/r/:sobject/:id/view', (c) => {
        const found = state.db.lookup(c.req.param('id'));
        const sobject = c.req.param('sobject');
        const page = (status: 200 | 404, title: string, heading: string, detail: string) =>
            c.html(
                html`<!doctype html>
                    <html lang="en">
                        <head>
                            <meta charset="utf-8" />
                            <title>${title}</title>
                        </head>
                        <body>
                            <h1>${heading}</h1>
                            <p>${detail}</p>
                        </body>
                    </html>`,
                status
            );
        if (
            !found ||
            found.row.IsDeleted === true ||
            found.object.name.toLowerCase() !== sobject.toLowerCase()
        ) {
            return page(404, 'Record not found', 'Record not found', `${sobject} ${c.req.param('id')}`);
        }
        const name = String(
            found.row.Name ?? [found.row.FirstName, found.row.LastName].filter(Boolean).join(' ')
        );
        return page(
            200,
            `${name} | ${found.object.label} | Salesforce`,
            name,
            `${found.object.label} ${String(found.row.Id)}`
        );
    });

    app.notFound((c) =>
        c.json([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }], 404)
    );
    return app;
}

async function runCompositeSafely(
    api: Api,
    call: CallContext,
    request: Parameters<typeof runComposite>[2]
): Promise<{ reply: Reply; subrequests?: number }> {
    try {
        return await runComposite(api, call, request);
    } catch (error) {
        if (error instanceof RequestError) return { reply: { status: error.status, body: error.body() } };
        throw error;
    }
}
