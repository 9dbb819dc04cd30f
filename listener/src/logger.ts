// The listener's pino logger. Two nets keep secrets out of the logs: structured redaction of the keys that carry them
// (headers, tokens, secrets), and a last pass over every serialized line that replaces the configured secret values
// wherever they appear, so a token inside an error message or a URL is caught too.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config/env.ts';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

const SECRET_KEYS = [
    'authorization',
    'cookie',
    'set-cookie',
    'x-livestorm-signature',
    'token',
    'accessToken',
    'access_token',
    'refreshToken',
    'refresh_token',
    'apiToken',
    'webhookToken',
    'webhookSecret',
    'adminToken',
    'clientSecret',
    'client_secret',
    'secret',
    'privateKey',
    'private_key',
    // The signed JWT posted to the token endpoint (OAuth 2.0 JWT bearer flow) is a credential while it is valid.
    'assertion',
    'client_assertion',
    'password',
    'databaseUrl',
    'connectionString'
];

/** Paths for pino's redaction: each secret key at the top level, one level down, and in request/response headers. */
export const REDACT_PATHS: string[] = [
    ...SECRET_KEYS.map((key) => `["${key}"]`),
    ...SECRET_KEYS.map((key) => `*["${key}"]`),
    ...SECRET_KEYS.map((key) => `*.*["${key}"]`),
    ...['req', 'res', 'request', 'response'].flatMap((holder) =>
        SECRET_KEYS.map((key) => `${holder}.headers["${key}"]`)
    )
];

const WEBHOOK_PATH = /(\/webhooks\/livestorm\/)[^/?#\s"]+/g;
const TOKEN_QUERY = /([?&](?:token|access_token)=)[^&#\s"]*/gi;

/**
 * A URL or path as it may be logged: the webhook token segment and `token` query parameters are replaced.
 * @example redactUrl('/webhooks/livestorm/abc?x=1') // '/webhooks/livestorm/[redacted]?x=1'
 */
export function redactUrl(url: string): string {
    return url.replace(WEBHOOK_PATH, `$1${REDACTED}`).replace(TOKEN_QUERY, `$1${REDACTED}`);
}

/** Builds a function that replaces every secret value (raw or JSON-escaped) in a serialized line. */
export function createSecretScrubber(secrets: readonly string[]): (line: string) => string {
    const needles = [...new Set(secrets.filter((secret) => secret.length >= 4))]
        .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])
        .filter((needle, index, all) => all.indexOf(needle) === index)
        // Longest first: a secret that contains another is replaced whole.
        .sort((a, b) => b.length - a.length);
    return (line) => {
        let scrubbed = redactUrl(line);
        for (const needle of needles) {
            if (scrubbed.includes(needle)) scrubbed = scrubbed.split(needle).join(REDACTED);
        }
        return scrubbed;
    };
}

export interface LoggerOptions {
    level: LogLevel;
    /** Values that must never be written, whatever key or message carries them. */
    secrets?: readonly string[];
    /** Where lines go; stdout when omitted. */
    destination?: DestinationStream;
}

/**
 * The root logger.
 * @example
 * const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
 */
export function createLogger(options: LoggerOptions): Logger {
    const scrub = createSecretScrubber(options.secrets ?? []);
    return pino(
        {
            level: options.level,
            base: { service: 'livestorm-sf' },
            redact: { paths: REDACT_PATHS, censor: REDACTED },
            hooks: { streamWrite: scrub }
        },
        options.destination ?? pino.destination({ dest: 1, sync: false })
    );
}
