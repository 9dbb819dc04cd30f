// Livestorm's webhook and API payloads, kept with the tests (test/fixtures/livestorm-payloads): `*.SOURCED.json` are
// copied from Livestorm's documentation, `*.INFERRED.json` are webhook bodies built from the documented fields.
import { readdirSync, readFileSync } from 'node:fs';

const payloadDir = new URL('../../test/fixtures/livestorm-payloads/', import.meta.url);

/** The raw text of one payload file, e.g. `people.registered.INFERRED.json`. */
export function livestormPayload(file: string): string {
    return readFileSync(new URL(file, payloadDir), 'utf8');
}

/** The names of the payload files. */
export function livestormPayloadFiles(): string[] {
    return readdirSync(payloadDir);
}
