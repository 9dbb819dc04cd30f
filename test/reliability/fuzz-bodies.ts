// A seeded generator of hostile webhook bodies: malformed and truncated JSON, bodies over the size limit, deep
// nesting, wrongly typed attributes, and strings laden with control characters, lone surrogates, bidirectional
// overrides and SOQL/LIKE metacharacters. The same seed gives the same bodies, so a failure can be replayed.

export type FuzzKind =
    | 'malformed'
    | 'truncated'
    | 'oversized'
    | 'large'
    | 'nested'
    | 'wrong-type'
    | 'unicode'
    | 'not-utf8'
    | 'not-an-object';

export interface FuzzBody {
    kind: FuzzKind;
    body: string | Uint8Array;
}

/** mulberry32: a small, fast, seeded PRNG (public domain). */
function prng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const HOSTILE = [
    "'",
    '"',
    '\\',
    '%',
    '_',
    '\u0000',
    '\u0007',
    '\u001b[2J',
    '\r\n',
    '\u200f',
    '\u202e',
    '\u2066',
    '\ufeff',
    '\ud800',
    '\udfff',
    '😀',
    '𠮟',
    'é',
    'ﷺ',
    "' OR Id != '",
    '</script><script>alert(1)</script>',
    '${jndi:ldap://x}',
    '=cmd|"/c calc"!A1',
    '../../etc/passwd'
];

/** Session ids the fuzz writes into (a handful, so the org is not flooded with Campaigns). */
export const FUZZ_SESSION_IDS = ['fuzz-session-a', 'fuzz-session-b', 'fuzz-session-c'];
export const FUZZ_EVENT_ID = 'fuzz-event';

export function createFuzzer(seed: number) {
    const random = prng(seed);
    const int = (max: number) => Math.floor(random() * max);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

    const hostileString = (): string => {
        const parts: string[] = [];
        const count = 1 + int(8);
        for (let index = 0; index < count; index++) {
            if (random() < 0.5) parts.push(pick(HOSTILE));
            else parts.push(String.fromCharCode(...Array.from({ length: 1 + int(4) }, () => int(0x10000))));
        }
        return parts.join('');
    };

    const validPerson = (index: number): Record<string, unknown> => {
        const sessionId = pick(FUZZ_SESSION_IDS);
        const now = Math.floor(Date.now() / 1000);
        return {
            data: {
                id: `fuzz-person-${seed}-${index}`,
                type: 'people',
                attributes: {
                    role: 'participant',
                    created_at: now,
                    updated_at: now,
                    first_name: 'Fuzz',
                    last_name: `Person ${index}`,
                    email: `fuzz${index}@example.com`,
                    registrant_detail: {
                        event_id: FUZZ_EVENT_ID,
                        session_id: sessionId,
                        created_at: now,
                        updated_at: now,
                        fields: [
                            { id: 'email', type: 'text', value: `fuzz${index}@example.com` },
                            { id: 'company', type: 'text', value: 'Fuzz Inc' },
                            { id: 'job_title', type: 'text', value: 'Tester' }
                        ],
                        utm_source: 'fuzz',
                        attended: false,
                        attendance_rate: null,
                        attendance_duration: null
                    },
                    messages_count: 0,
                    questions_count: 0,
                    votes_count: 0
                },
                meta: {
                    webhook: {
                        event: pick(['people.registered', 'people.attended', 'people.not_attended']),
                        organization_id: 'fuzz-org'
                    }
                }
            }
        };
    };

    /** Every leaf path of a JSON value. */
    const leafPaths = (value: unknown, path: (string | number)[] = []): (string | number)[][] => {
        if (value && typeof value === 'object') {
            const entries = Array.isArray(value)
                ? value.map((item, index) => [index, item] as const)
                : Object.entries(value);
            return entries.flatMap(([key, item]) => [[...path, key], ...leafPaths(item, [...path, key])]);
        }
        return [];
    };

    const setPath = (root: unknown, path: (string | number)[], value: unknown) => {
        let holder = root as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) {
            const inner = holder[key];
            // An earlier change replaced a parent with a scalar: nothing left to change down there.
            if (!inner || typeof inner !== 'object') return;
            holder = inner as Record<string | number, unknown>;
        }
        holder[path[path.length - 1]!] = value;
    };

    const wrongValue = (): unknown =>
        pick<() => unknown>([
            () => null,
            () => int(2) === 0,
            () => -1e308 * 10,
            () => Number.MAX_SAFE_INTEGER + 2,
            () => -int(1000),
            () => [],
            () => [hostileString(), 1, null],
            () => ({}),
            () => ({ nested: { deeper: [hostileString()] } }),
            () => '',
            () => hostileString(),
            () => 'x'.repeat(5000 + int(20000))
        ])();

    const nested = (depth: number): string => {
        const style = int(3);
        if (style === 0) return '['.repeat(depth) + ']'.repeat(depth);
        if (style === 1) return '{"data":'.repeat(depth) + '{}' + '}'.repeat(depth);
        // Unbalanced: opened and never closed.
        return '{"a":['.repeat(depth);
    };

    return {
        /** The body of the index-th fuzz request. */
        next(index: number): FuzzBody {
            const roll = random();
            if (roll < 0.14) {
                const json = JSON.stringify(validPerson(index));
                const at = int(json.length);
                const mutation = int(3);
                const body =
                    mutation === 0
                        ? json.slice(0, at) + json.slice(at + 1)
                        : mutation === 1
                          ? json.slice(0, at) +
                            pick(['{', '}', '"', ',', ':', '\\', '\u0000']) +
                            json.slice(at)
                          : hostileString();
                return { kind: 'malformed', body };
            }
            if (roll < 0.26) {
                const json = JSON.stringify(validPerson(index));
                return { kind: 'truncated', body: json.slice(0, int(json.length)) };
            }
            if (roll < 0.265) {
                return { kind: 'oversized', body: `{"data":"${'x'.repeat(1024 * 1024 + int(64 * 1024))}"}` };
            }
            if (roll < 0.27) {
                const payload = validPerson(index);
                setPath(payload, ['data', 'attributes', 'padding'], 'p'.repeat(600 * 1024 + int(300 * 1024)));
                return { kind: 'large', body: JSON.stringify(payload) };
            }
            if (roll < 0.36) return { kind: 'nested', body: nested(100 + int(200_000)) };
            if (roll < 0.58) {
                const payload = validPerson(index);
                const paths = leafPaths(payload);
                const changes = 1 + int(3);
                for (let change = 0; change < changes; change++) setPath(payload, pick(paths), wrongValue());
                return { kind: 'wrong-type', body: JSON.stringify(payload) };
            }
            if (roll < 0.86) {
                const payload = validPerson(index);
                const paths = leafPaths(payload).filter(
                    (path) =>
                        typeof path[path.length - 1] === 'string' && path[path.length - 1] !== 'session_id'
                );
                const changes = 1 + int(5);
                for (let change = 0; change < changes; change++) {
                    const path = pick(paths);
                    // Lone surrogates survive JSON.stringify as \ud800 escapes, as a sender could write them.
                    setPath(payload, path, hostileString());
                }
                return { kind: 'unicode', body: JSON.stringify(payload) };
            }
            if (roll < 0.93) {
                const json = JSON.stringify(validPerson(index));
                const bytes = Buffer.from(json, 'utf8');
                for (let flip = 0; flip < 1 + int(4); flip++) bytes[int(bytes.length)] = 0x80 + int(0x80);
                return { kind: 'not-utf8', body: new Uint8Array(bytes) };
            }
            return {
                kind: 'not-an-object',
                body: pick(['null', '1', '"data"', '[]', '[{"data":{}}]', 'true', '{}', '{"data":null}', ''])
            };
        }
    };
}
