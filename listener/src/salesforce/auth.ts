// Obtains access tokens for the four ways an admin can connect the listener. Tokens come from jsforce's OAuth2 client
// (client credentials, JWT bearer) or from an `sf org login` authorization through @salesforce/core.
import { readFile } from 'node:fs/promises';

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

export class SalesforceAuthError extends Error {
    override name = 'SalesforceAuthError';
}

interface TokenResponse {
    access_token: string;
    instance_url: string;
}

function oauthFailure(what: string, error: unknown): SalesforceAuthError {
    const detail = error instanceof Error ? error.message : String(error);
    return new SalesforceAuthError(`${what} was refused by Salesforce: ${detail}`);
}

// jsforce (about 40 MB and a quarter of a second to load) is needed only by the OAuth modes, once per token.
async function loadJsforce() {
    return (await import('jsforce')).default;
}

function memoised(description: string, fetchSession: () => Promise<SalesforceSession>): TokenProvider {
    let session: Promise<SalesforceSession> | undefined;
    return {
        description,
        current() {
            session ??= fetchSession().catch((error: unknown) => {
                session = undefined;
                throw error;
            });
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
 */
export function createTokenProvider(auth: SalesforceAuth, apiVersion: string): TokenProvider {
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
            return memoised('the client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET)', async () => {
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
                    throw oauthFailure(
                        'The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET)',
                        error
                    );
                }
            });
        }
        case 'jwt': {
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
                        throw oauthFailure(
                            'The JWT bearer flow (SF_CLIENT_ID / SF_USERNAME / SF_JWT_KEY_FILE)',
                            error
                        );
                    }
                }
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
                    await connection!.refreshAuth();
                    return session();
                }
            };
        }
    }
}
