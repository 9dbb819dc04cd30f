// Salesforce record ids: 15 case-sensitive characters, or 18 with a 3-character case checksum
// (REST API Developer Guide, "Record IDs"; the checksum encodes which of each 5 characters are upper case).
const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function idChecksum(id15: string): string {
    let suffix = '';
    for (let chunk = 0; chunk < 3; chunk++) {
        let flags = 0;
        for (let position = 0; position < 5; position++) {
            const code = id15.charCodeAt(chunk * 5 + position);
            if (code >= 65 && code <= 90) flags |= 1 << position;
        }
        suffix += CHECKSUM_ALPHABET[flags];
    }
    return suffix;
}

/** The canonical 18-character form of a 15- or 18-character id, or undefined when it is not a well-formed id. */
export function canonicalId(value: string): string | undefined {
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(value)) return undefined;
    const id15 = value.slice(0, 15);
    const full = id15 + idChecksum(id15);
    if (value.length === 18 && value.slice(15).toUpperCase() !== full.slice(15)) return undefined;
    return full;
}

export class IdGenerator {
    private readonly counters = new Map<string, number>();

    next(keyPrefix: string): string {
        const count = (this.counters.get(keyPrefix) ?? 0) + 1;
        this.counters.set(keyPrefix, count);
        const id15 = `${keyPrefix}xx${String(count).padStart(10, '0')}`;
        return id15 + idChecksum(id15);
    }
}
