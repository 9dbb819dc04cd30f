// Obtains access tokens for the four ways an admin can connect the listener. Tokens come from jsforce's OAuth2 client
// (client credentials, JWT bearer) or from an `sf org login` authorization through @salesforce/core. A token request
// Salesforce refused is a SalesforceAuthError (the credentials); one it did not answer (unreachable, 5xx, or no answer
// within the request timeout) is a transient SalesforceError, retried like any call to an org that is down.
import { readFile } from 'node:fs/promises';
import { SalesforceError } from './errors.ts';

export type SalesforceAuth =
    | { mode: 'token'; instanceUrl: string; accessToken: string }
    | { mode: 'client_credentials'; loginUrl: string; clientId: string; clientSecret: string }
    | { mode: 'jwt'; loginUrl: string; clientId: string; username: string; jwtKeyFile: string }
    | { mode: 'sf_cli'; targetOrg: string };

export interface SalesforceSession {
    instanceUrl: string;
    accessToken: string;
}

export interface TokenProvider {
    /** Describes the mode for messages, without any secret. */
    readonly description: string;
    /** A session, fetched on first use. */
    current(): Promise<SalesforceSession>;
    /** A new session after a 401; null when this mode cannot refresh (a static token). */
    refresh(): Promise<SalesforceSession | null>;
}

/**
 * Salesforce refused the credentials of a token request, or they cannot be used (an unreadable key file, an sf CLI
 * org not authorized here): a SalesforceError of kind 'auth', handled as a 401 a new session did not cure.
 */
export class SalesforceAuthError extends SalesforceError {
    override name = 'SalesforceAuthError';
    constructor(message: string) {
        super(message, 'auth', 'CREDENTIALS_REFUSED', null);
    }
}

interface TokenResponse {
    access_token: string;
    instance_url: string;
}

/**
 * What a failed token request means. jsforce's OAuth2 client throws, for an answer of status 400 or more, an Error
 * whose name is the OAuth error code of the answer (`invalid_client`, `invalid_grant`…) or `ERROR_HTTP_<status>` when
 * the body is not an OAuth error (jsforce lib/oauth2.js, _postParams); anything else is the transport's (no answer).
 * Salesforce's token endpoint answers a refused request with 400 and an OAuth error code ("OAuth 2.0 Client Credentials
 * Flow for Server-to-Server Integration" and "OAuth 2.0 JWT Bearer Flow", Salesforce Help).
 * @returns a SalesforceAuthError when Salesforce refused, else a transient SalesforceError (CONNECTION_ERROR, or
 *   SERVER_ERROR for a 5xx answer)
 */
function oauthFailure(what: string, loginUrl: string, error: unknown): Error {
    const detail = error instanceof Error ? error.message : String(error);
    const code = error instanceof Error ? error.name : '';
    const status = /^ERROR_HTTP_(\d{3})$/.exec(code)?.[1];
    const answered = status !== undefined || /^[a-z_]+$/.test(code);
    if (!answered) return transportFailure(what, loginUrl, detail);
    if (status !== undefined && Number(status) >= 500)
        return new SalesforceError(
            `${what}: Salesforce's token endpoint at ${loginUrl} answered ${status}, a server error, not a refusal of the credentials`,
            'transient',
            'SERVER_ERROR',
            Number(status)
        );
    return new SalesforceAuthError(`${what} was refused by Salesforce: ${detail}`);
}

function transportFailure(what: string, loginUrl: string, detail: string): SalesforceError {
    return new SalesforceError(
        `${what}: Salesforce's token endpoint at ${loginUrl} cannot be reached (${detail})`,
        'transient',
        'CONNECTION_ERROR',
        null
    );
}

// jsforce (about 40 MB and a quarter of a second to load) is needed only by the OAuth modes, once per token.
async function loadJsforce() {
    return (await import('jsforce')).default;
}

/**
 * `request` within `timeoutMs`, else a transient SalesforceError REQUEST_TIMEOUT naming `what` and where. The request
 * left behind is not cancelled (jsforce's and @salesforce/core's token requests take no signal): it ends on its own and
 * its outcome is ignored.
 */
async function withinTimeout<T>(
    request: Promise<T>,
    timeoutMs: number,
    what: string,
    where: string
): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () =>
                reject(
                    new SalesforceError(
                        `${what}: ${where} did not answer within ${timeoutMs / 1000} s (the listener's request timeout).`,
                        'transient',
                        'REQUEST_TIMEOUT',
                        null
                    )
                ),
            timeoutMs
        );
    });
    request.catch(() => {});
    try {
        return await Promise.race([request, timedOut]);
    } finally {
        clearTimeout(timer);
    }
}

/** One token request at a time, its session kept until a refresh; a failed or timed-out request is tried anew next time. */
function memoised(
    description: string,
    fetchSession: () => Promise<SalesforceSession>,
    timeout: { ms: number; what: string; where: string }
): TokenProvider {
    let session: Promise<SalesforceSession> | undefined;
    return {
        description,
        current() {
            session ??= withinTimeout(fetchSession(), timeout.ms, timeout.what, timeout.where).catch(
                (error: unknown) => {
                    session = undefined;
                    throw error;
                }
            );
            return session;
        },
        async refresh() {
            session = undefined;
            return this.current();
        }
    };
}

/**
 * @param auth the mode chosen by the environment (see config/env.ts)
 * @param apiVersion used for the sf CLI connection
 * @param options.timeoutMs how long a token request may go unanswered (ms): the API calls' request timeout
 *   (connection.ts, SALESFORCE_REQUEST_TIMEOUT_MS)
 */
export function createTokenProvider(
    auth: SalesforceAuth,
    apiVersion: string,
    options: { timeoutMs: number }
): TokenProvider {
    const { timeoutMs } = options;
    switch (auth.mode) {
        case 'token':
            return {
                description: 'the static access token (SF_ACCESS_TOKEN)',
                current: async () => ({
                    instanceUrl: auth.instanceUrl.replace(/\/+$/, ''),
                    accessToken: auth.accessToken
                }),
                refresh: async () => null
            };
        case 'client_credentials': {
            const what = 'The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET)';
            const timeout = { ms: timeoutMs, what, where: `Salesforce's token endpoint at ${auth.loginUrl}` };
            return memoised(
                'the client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET)',
                async () => {
                    const jsforce = await loadJsforce();
                    const oauth2 = new jsforce.OAuth2({
                        loginUrl: auth.loginUrl,
                        clientId: auth.clientId,
                        clientSecret: auth.clientSecret
                    });
                    try {
                        const token = (await oauth2.requestToken({
                            grant_type: 'client_credentials'
                        })) as unknown as TokenResponse;
                        return { instanceUrl: token.instance_url, accessToken: token.access_token };
                    } catch (error) {
                        throw oauthFailure(what, auth.loginUrl, error);
                    }
                },
                timeout
            );
        }
        case 'jwt': {
            const what = 'The JWT bearer flow (SF_CLIENT_ID / SF_USERNAME / SF_JWT_KEY_FILE)';
            const timeout = { ms: timeoutMs, what, where: `Salesforce's token endpoint at ${auth.loginUrl}` };
            return memoised(
                'the JWT bearer flow (SF_CLIENT_ID / SF_USERNAME / SF_JWT_KEY_FILE)',
                async () => {
                    const jsforce = await loadJsforce();
                    const { default: jwt } = await import('jsonwebtoken');
                    const oauth2 = new jsforce.OAuth2({ loginUrl: auth.loginUrl, clientId: auth.clientId });
                    let privateKey: string;
                    try {
                        privateKey = await readFile(auth.jwtKeyFile, 'utf8');
                    } catch (error) {
                        throw new SalesforceAuthError(
                            `SF_JWT_KEY_FILE ${auth.jwtKeyFile} cannot be read: ${(error as Error).message}`
                        );
                    }
                    const assertion = jwt.sign({}, privateKey, {
                        algorithm: 'RS256',
                        issuer: auth.clientId,
                        subject: auth.username,
                        audience: auth.loginUrl.replace(/\/+$/, ''),
                        expiresIn: 180
                    });
                    try {
                        const token = (await oauth2.requestToken({
                            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
                            assertion
                        })) as unknown as TokenResponse;
                        return { instanceUrl: token.instance_url, accessToken: token.access_token };
                    } catch (error) {
                        throw oauthFailure(what, auth.loginUrl, error);
                    }
                },
                timeout
            );
        }
        case 'sf_cli': {
            // @salesforce/core is loaded only in this mode: it reads ~/.sfdx and is heavy to import.
            let connection:
                | { accessToken?: string | null; instanceUrl: string; refreshAuth(): Promise<unknown> }
                | undefined;
            const load = async () => {
                const { Org } = await import('@salesforce/core');
                try {
                    const org = await Org.create({ aliasOrUsername: auth.targetOrg });
                    connection = org.getConnection(apiVersion) as unknown as typeof connection;
                } catch (error) {
                    throw new SalesforceAuthError(
                        `SF_TARGET_ORG "${auth.targetOrg}" is not an org authorized with \`sf org login\` on this machine: ${(error as Error).message}`
                    );
                }
            };
            const session = (): SalesforceSession => ({
                instanceUrl: connection!.instanceUrl,
                accessToken: connection!.accessToken ?? ''
            });
            return {
                description: `the sf CLI org "${auth.targetOrg}" (SF_TARGET_ORG)`,
                async current() {
                    if (!connection) await load();
                    return session();
                },
                async refresh() {
                    if (!connection) await load();
                    await withinTimeout(
                        connection!.refreshAuth(),
                        timeoutMs,
                        `The sf CLI org "${auth.targetOrg}" (SF_TARGET_ORG)`,
                        'Salesforce, asked for a new session,'
                    );
                    return session();
                }
            };
        }
    }
}
