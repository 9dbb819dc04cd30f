// A SOQL subset (SOQL and SOSL Reference): SELECT fields | COUNT(), one-level parent relationship paths,
// FROM, WHERE (= != <> < > <= >= IN, NOT IN, LIKE, AND, OR, NOT, parentheses), ORDER BY, LIMIT, OFFSET.
import { canonicalId } from './ids.ts';
import type { Database, Row } from './engine.ts';
import type { FieldDef, ObjectDef } from './schema.ts';
import { isTextType, parseDateTimeValue, parseDateValue, RequestError } from './values.ts';

// "SOQL statements can't exceed 100,000 characters"; "Strings in WHERE clauses can't exceed 4,000 characters"
// (SOQL and SOSL Limits; reference soql/01).
export const MAX_STATEMENT_LENGTH = 100_000;
export const MAX_STRING_LITERAL_LENGTH = 4_000;

type Token =
    | { kind: 'word'; text: string; at: number }
    | { kind: 'string'; value: string; at: number }
    | { kind: 'number'; value: number; text: string; at: number }
    | { kind: 'date'; text: string; at: number }
    | { kind: 'datetime'; text: string; at: number }
    | { kind: 'op'; text: string; at: number }
    | { kind: 'punct'; text: string; at: number };

type Literal =
    | { kind: 'string'; value: string }
    | { kind: 'number'; value: number }
    | { kind: 'boolean'; value: boolean }
    | { kind: 'null' }
    | { kind: 'date'; value: string }
    | { kind: 'datetime'; value: string }
    | { kind: 'dateRange'; name: string; start: Date; end: Date };

type Condition =
    | { kind: 'and' | 'or'; items: Condition[] }
    | { kind: 'not'; item: Condition }
    | { kind: 'compare'; path: string[]; op: string; value: Literal }
    | { kind: 'in'; path: string[]; negated: boolean; values: Literal[] }
    | { kind: 'like'; path: string[]; pattern: string };

interface OrderItem {
    path: string[];
    descending: boolean;
    nullsLast: boolean;
}

export interface ParsedQuery {
    count: boolean;
    fields: string[][];
    from: string;
    where?: Condition;
    orderBy: OrderItem[];
    limit?: number;
    offset?: number;
}

const malformed = (message: string): RequestError => new RequestError(400, 'MALFORMED_QUERY', message);

const ESCAPES: Record<string, string> = {
    n: '\n',
    N: '\n',
    r: '\r',
    R: '\r',
    t: '\t',
    T: '\t',
    b: '\b',
    B: '\b',
    f: '\f',
    F: '\f',
    '"': '"',
    "'": "'",
    '\\': '\\'
};

function tokenize(source: string): Token[] {
    const tokens: Token[] = [];
    let index = 0;
    while (index < source.length) {
        const char = source[index] ?? '';
        if (/\s/.test(char)) {
            index += 1;
            continue;
        }
        const at = index;
        if (char === "'") {
            let value = '';
            index += 1;
            let closed = false;
            while (index < source.length) {
                const current = source[index] ?? '';
                if (current === '\\') {
                    const next = source[index + 1] ?? '';
                    if (next in ESCAPES) value += ESCAPES[next];
                    // \_ and \% stay escaped: they only mean something to LIKE.
                    else if (next === '_' || next === '%') value += `\\${next}`;
                    else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(index + 2, index + 6))) {
                        value += String.fromCharCode(parseInt(source.slice(index + 2, index + 6), 16));
                        index += 4;
                    } else {
                        throw malformed(
                            `Invalid string literal. Illegal character sequence '\\${next}' in string literal.`
                        );
                    }
                    index += 2;
                    continue;
                }
                if (current === "'") {
                    closed = true;
                    index += 1;
                    break;
                }
                value += current;
                index += 1;
            }
            if (!closed) throw malformed('unexpected end of query: unterminated string literal');
            tokens.push({ kind: 'string', value, at });
            continue;
        }
        const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/.exec(
            source.slice(index)
        );
        if (datetime) {
            tokens.push({ kind: 'datetime', text: datetime[0], at });
            index += datetime[0].length;
            continue;
        }
        const date = /^\d{4}-\d{2}-\d{2}(?![\w:])/.exec(source.slice(index));
        if (date) {
            tokens.push({ kind: 'date', text: date[0], at });
            index += date[0].length;
            continue;
        }
        const number = /^-?\d+(\.\d+)?(?![\w.])/.exec(source.slice(index));
        if (number) {
            tokens.push({ kind: 'number', value: Number(number[0]), text: number[0], at });
            index += number[0].length;
            continue;
        }
        const word = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:\d+)?/.exec(source.slice(index));
        if (word) {
            tokens.push({ kind: 'word', text: word[0], at });
            index += word[0].length;
            continue;
        }
        const op = /^(!=|<>|<=|>=|=|<|>)/.exec(source.slice(index));
        if (op) {
            tokens.push({ kind: 'op', text: op[0], at });
            index += op[0].length;
            continue;
        }
        if (char === '(' || char === ')' || char === ',') {
            tokens.push({ kind: 'punct', text: char, at });
            index += 1;
            continue;
        }
        throw malformed(`unexpected token: '${char}'`);
    }
    return tokens;
}

const KEYWORDS = new Set([
    'select',
    'from',
    'where',
    'and',
    'or',
    'not',
    'in',
    'like',
    'order',
    'by',
    'asc',
    'desc',
    'nulls',
    'first',
    'last',
    'limit',
    'offset',
    'null',
    'true',
    'false',
    'group',
    'having',
    'for',
    'with',
    'using',
    'includes',
    'excludes'
]);

function startOfUtcDay(date: Date): Date {
    return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function addDays(date: Date, days: number): Date {
    return new Date(date.getTime() + days * 86_400_000);
}

/** Relative date literals (SOQL "Date Formats and Date Literals"), evaluated in UTC. */
function dateRange(text: string): Literal | undefined {
    const [name = '', argument] = text.toUpperCase().split(':');
    const today = startOfUtcDay(new Date());
    const n = argument === undefined ? undefined : Number(argument);
    switch (name) {
        case 'TODAY':
            return { kind: 'dateRange', name, start: today, end: addDays(today, 1) };
        case 'YESTERDAY':
            return { kind: 'dateRange', name, start: addDays(today, -1), end: today };
        case 'TOMORROW':
            return { kind: 'dateRange', name, start: addDays(today, 1), end: addDays(today, 2) };
        case 'LAST_N_DAYS':
            return n === undefined
                ? undefined
                : { kind: 'dateRange', name, start: addDays(today, -n), end: addDays(today, 1) };
        case 'NEXT_N_DAYS':
            return n === undefined
                ? undefined
                : { kind: 'dateRange', name, start: addDays(today, 1), end: addDays(today, n + 1) };
        default:
            return undefined;
    }
}

class Parser {
    private position = 0;
    private readonly tokens: Token[];

    constructor(tokens: Token[]) {
        this.tokens = tokens;
    }

    private peek(offset = 0): Token | undefined {
        return this.tokens[this.position + offset];
    }

    private isWord(word: string, offset = 0): boolean {
        const token = this.peek(offset);
        return token?.kind === 'word' && token.text.toLowerCase() === word;
    }

    private expectWord(word: string): void {
        if (!this.isWord(word)) throw this.unexpected();
        this.position += 1;
    }

    private isPunct(text: string): boolean {
        const token = this.peek();
        return token?.kind === 'punct' && token.text === text;
    }

    private expectPunct(text: string): void {
        if (!this.isPunct(text)) throw this.unexpected();
        this.position += 1;
    }

    private unexpected(): RequestError {
        const token = this.peek();
        if (!token) return malformed('unexpected end of query');
        const text = token.kind === 'string' ? `'${token.value}'` : token.text;
        return malformed(`unexpected token: ${text}`);
    }

    private path(): string[] {
        const token = this.peek();
        if (token?.kind !== 'word' || KEYWORDS.has(token.text.toLowerCase()) || token.text.includes(':')) {
            throw this.unexpected();
        }
        this.position += 1;
        const parts = token.text.split('.');
        if (parts.length > 2)
            throw malformed(`Relationship paths deeper than one level are not supported: ${token.text}`);
        return parts;
    }

    parse(): ParsedQuery {
        this.expectWord('select');
        const query: ParsedQuery = { count: false, fields: [], from: '', orderBy: [] };
        const open = this.peek(1);
        if (this.isWord('count') && open?.kind === 'punct' && open.text === '(') {
            this.position += 2;
            this.expectPunct(')');
            query.count = true;
        } else {
            query.fields.push(this.path());
            while (this.isPunct(',')) {
                this.position += 1;
                query.fields.push(this.path());
            }
        }
        this.expectWord('from');
        const from = this.peek();
        if (from?.kind !== 'word' || from.text.includes('.')) throw this.unexpected();
        query.from = from.text;
        this.position += 1;
        if (this.isWord('where')) {
            this.position += 1;
            query.where = this.condition();
        }
        if (this.isWord('order')) {
            this.position += 1;
            this.expectWord('by');
            do {
                if (query.orderBy.length > 0) this.position += 1;
                const path = this.path();
                let descending = false;
                if (this.isWord('asc')) this.position += 1;
                else if (this.isWord('desc')) {
                    descending = true;
                    this.position += 1;
                }
                // "By default, null values are sorted first", whatever the direction (SOQL ORDER BY).
                let nullsLast = false;
                if (this.isWord('nulls')) {
                    this.position += 1;
                    if (this.isWord('first')) nullsLast = false;
                    else if (this.isWord('last')) nullsLast = true;
                    else throw this.unexpected();
                    this.position += 1;
                }
                query.orderBy.push({ path, descending, nullsLast });
            } while (this.isPunct(','));
        }
        if (this.isWord('limit')) {
            this.position += 1;
            query.limit = this.integer();
        }
        if (this.isWord('offset')) {
            this.position += 1;
            query.offset = this.integer();
        }
        if (this.peek()) throw this.unexpected();
        return query;
    }

    private integer(): number {
        const token = this.peek();
        if (token?.kind !== 'number' || !Number.isInteger(token.value) || token.value < 0)
            throw this.unexpected();
        this.position += 1;
        return token.value;
    }

    // SOQL requires parentheses when AND and OR are mixed ("a AND b OR c" is rejected), so a level holds
    // one kind of connective only.
    private condition(): Condition {
        const first = this.unary();
        const connective = this.isWord('and') ? 'and' : this.isWord('or') ? 'or' : undefined;
        if (!connective) return first;
        const items = [first];
        while (this.isWord(connective)) {
            this.position += 1;
            items.push(this.unary());
        }
        if (this.isWord(connective === 'and' ? 'or' : 'and')) throw this.unexpected();
        return { kind: connective, items };
    }

    private unary(): Condition {
        if (this.isWord('not')) {
            this.position += 1;
            return { kind: 'not', item: this.unary() };
        }
        if (this.isPunct('(')) {
            this.position += 1;
            const inner = this.condition();
            this.expectPunct(')');
            return inner;
        }
        const path = this.path();
        if (this.isWord('not') && this.isWord('in', 1)) {
            this.position += 2;
            return { kind: 'in', path, negated: true, values: this.list() };
        }
        if (this.isWord('in')) {
            this.position += 1;
            return { kind: 'in', path, negated: false, values: this.list() };
        }
        if (this.isWord('like')) {
            this.position += 1;
            const value = this.literal();
            if (value.kind !== 'string') throw malformed('LIKE needs a string literal');
            return { kind: 'like', path, pattern: value.value };
        }
        const op = this.peek();
        if (op?.kind !== 'op') throw this.unexpected();
        this.position += 1;
        return { kind: 'compare', path, op: op.text === '<>' ? '!=' : op.text, value: this.literal() };
    }

    private list(): Literal[] {
        this.expectPunct('(');
        if (this.isWord('select')) throw malformed('Semi-join subqueries are not supported by this emulator');
        const values = [this.literal()];
        while (this.isPunct(',')) {
            this.position += 1;
            values.push(this.literal());
        }
        this.expectPunct(')');
        return values;
    }

    private literal(): Literal {
        const token = this.peek();
        if (!token) throw this.unexpected();
        this.position += 1;
        switch (token.kind) {
            case 'string':
                if (token.value.length > MAX_STRING_LITERAL_LENGTH) {
                    // The reference names the limit but not the error code; MALFORMED_QUERY is the query error.
                    throw malformed(
                        `String literal exceeds the maximum length of ${MAX_STRING_LITERAL_LENGTH} characters in a WHERE clause`
                    );
                }
                return { kind: 'string', value: token.value };
            case 'number':
                return { kind: 'number', value: token.value };
            case 'date': {
                const value = parseDateValue(token.text);
                if (!value) throw malformed(`invalid date: ${token.text}`);
                return { kind: 'date', value };
            }
            case 'datetime': {
                const value = parseDateTimeValue(token.text);
                if (!value) throw malformed(`invalid datetime: ${token.text}`);
                return { kind: 'datetime', value };
            }
            case 'word': {
                const lower = token.text.toLowerCase();
                if (lower === 'null') return { kind: 'null' };
                if (lower === 'true' || lower === 'false')
                    return { kind: 'boolean', value: lower === 'true' };
                const range = dateRange(token.text);
                if (range) return range;
                throw malformed(`unexpected token: ${token.text}`);
            }
            default:
                this.position -= 1;
                throw this.unexpected();
        }
    }
}

export function parseSoql(statement: string): ParsedQuery {
    if (statement.length > MAX_STATEMENT_LENGTH) {
        throw malformed(`SOQL statements cannot exceed ${MAX_STATEMENT_LENGTH} characters`);
    }
    return new Parser(tokenize(statement)).parse();
}

interface ResolvedPath {
    text: string;
    relationship?: FieldDef;
    parentObject?: ObjectDef;
    def: FieldDef;
    owner: ObjectDef;
}

function noSuchColumn(name: string, object: ObjectDef): RequestError {
    return new RequestError(
        400,
        'INVALID_FIELD',
        `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`
    );
}

function resolvePath(db: Database, object: ObjectDef, path: string[]): ResolvedPath {
    const [first = '', second] = path;
    if (second === undefined) {
        const def = object.fieldsByLowerName.get(first.toLowerCase());
        if (!def) throw noSuchColumn(first, object);
        return { text: def.name, def, owner: object };
    }
    const relationship = object.relationshipsByLowerName.get(first.toLowerCase());
    const parentName = relationship?.referenceTo[0];
    const parentObject = parentName ? db.schema.objects.get(parentName) : undefined;
    if (!relationship || !parentObject) {
        throw new RequestError(
            400,
            'INVALID_FIELD',
            `Didn't understand relationship '${first}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`
        );
    }
    const def = parentObject.fieldsByLowerName.get(second.toLowerCase());
    if (!def) throw noSuchColumn(second, parentObject);
    return {
        text: `${relationship.relationshipName}.${def.name}`,
        relationship,
        parentObject,
        def,
        owner: object
    };
}

function readPath(db: Database, resolved: ResolvedPath, row: Row): unknown {
    if (!resolved.relationship || !resolved.parentObject)
        return db.value(resolved.owner, row, resolved.def.name);
    const parentId = row[resolved.relationship.name];
    const parent = typeof parentId === 'string' ? db.get(resolved.parentObject.name, parentId) : undefined;
    return parent ? db.value(resolved.parentObject, parent, resolved.def.name) : null;
}

type Predicate = (row: Row) => boolean;

function filterError(def: FieldDef, message: string): RequestError {
    return new RequestError(
        400,
        'INVALID_FIELD',
        `value of filter criterion for field '${def.name}' ${message}`
    );
}

/** The literal as a value comparable with the field's stored values, type-checked like Salesforce does. */
function literalFor(def: FieldDef, literal: Literal): unknown {
    if (literal.kind === 'null') return null;
    if (def.type === 'id' || def.type === 'reference') {
        if (literal.kind !== 'string')
            throw filterError(def, 'must be of type id and should be enclosed in quotes');
        const id = canonicalId(literal.value);
        if (!id)
            throw new RequestError(
                400,
                'INVALID_QUERY_FILTER_OPERATOR',
                `invalid ID field: ${literal.value}`
            );
        return id;
    }
    if (isTextType(def)) {
        if (literal.kind !== 'string')
            throw filterError(def, 'must be of type string and should be enclosed in quotes');
        return literal.value;
    }
    if (def.type === 'boolean') {
        if (literal.kind !== 'boolean')
            throw filterError(def, 'must be of type boolean and should not be enclosed in quotes');
        return literal.value;
    }
    if (def.type === 'date' || def.type === 'datetime') {
        if (literal.kind === 'dateRange') return literal;
        const wanted = def.type === 'date' ? 'date' : 'datetime';
        if (literal.kind !== wanted) {
            throw filterError(
                def,
                `must be of type ${def.type === 'date' ? 'date' : 'dateTime'} and should not be enclosed in quotes`
            );
        }
        return literal.value;
    }
    if (literal.kind !== 'number')
        throw filterError(def, `must be of type ${def.type} and should not be enclosed in quotes`);
    return literal.value;
}

function normalizeForCompare(def: FieldDef, value: unknown): unknown {
    if (typeof value === 'string' && isTextType(def) && !def.caseSensitive) return value.toLowerCase();
    return value;
}

function compareValues(left: unknown, right: unknown): number {
    if (typeof left === 'number' && typeof right === 'number') return left - right;
    if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
    const a = String(left);
    const b = String(right);
    return a < b ? -1 : a > b ? 1 : 0;
}

function rangeBounds(def: FieldDef, range: Extract<Literal, { kind: 'dateRange' }>): [string, string] {
    if (def.type === 'date')
        return [range.start.toISOString().slice(0, 10), range.end.toISOString().slice(0, 10)];
    return [range.start.toISOString().replace('Z', '+0000'), range.end.toISOString().replace('Z', '+0000')];
}

function comparePredicate(
    def: FieldDef,
    read: (row: Row) => unknown,
    op: string,
    literal: Literal
): Predicate {
    const expected = literalFor(def, literal);
    if (def.type === 'boolean' && op !== '=' && op !== '!=') {
        throw new RequestError(
            400,
            'INVALID_QUERY_FILTER_OPERATOR',
            `invalid operator on boolean field: ${def.name}`
        );
    }
    if (typeof expected === 'object' && expected !== null && (expected as Literal).kind === 'dateRange') {
        const [start, end] = rangeBounds(def, expected as Extract<Literal, { kind: 'dateRange' }>);
        return (row) => {
            const value = read(row);
            if (value === null || value === undefined) return op === '!=';
            const text = String(value);
            const inside = text >= start && text < end;
            switch (op) {
                case '=':
                    return inside;
                case '!=':
                    return !inside;
                case '<':
                    return text < start;
                case '<=':
                    return text < end;
                case '>':
                    return text >= end;
                default:
                    return text >= start;
            }
        };
    }
    const target = normalizeForCompare(def, expected);
    return (row) => {
        const value = normalizeForCompare(def, read(row));
        if (op === '=') return value === target || (value === undefined && target === null);
        if (op === '!=') return value !== target && !(value === undefined && target === null);
        if (value === null || value === undefined || target === null) return false;
        const order = compareValues(value, target);
        if (op === '<') return order < 0;
        if (op === '<=') return order <= 0;
        if (op === '>') return order > 0;
        return order >= 0;
    };
}

function likePattern(pattern: string): RegExp {
    let source = '';
    for (let index = 0; index < pattern.length; index++) {
        const char = pattern[index] ?? '';
        if (char === '\\' && (pattern[index + 1] === '%' || pattern[index + 1] === '_')) {
            source += `\\${pattern[index + 1]}`;
            index += 1;
        } else if (char === '%') source += '.*';
        else if (char === '_') source += '.';
        else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${source}$`, 'is');
}

function compile(db: Database, object: ObjectDef, condition: Condition): Predicate {
    switch (condition.kind) {
        case 'and': {
            const items = condition.items.map((item) => compile(db, object, item));
            return (row) => items.every((item) => item(row));
        }
        case 'or': {
            const items = condition.items.map((item) => compile(db, object, item));
            return (row) => items.some((item) => item(row));
        }
        case 'not': {
            const item = compile(db, object, condition.item);
            return (row) => !item(row);
        }
        case 'compare': {
            const resolved = resolvePath(db, object, condition.path);
            return comparePredicate(
                resolved.def,
                (row) => readPath(db, resolved, row),
                condition.op,
                condition.value
            );
        }
        case 'in': {
            const resolved = resolvePath(db, object, condition.path);
            const read = (row: Row) => readPath(db, resolved, row);
            // Every value is checked as `=` checks it (types, quotes) before anything is compared.
            const expected = condition.values.map((value) => literalFor(resolved.def, value));
            if (expected.every((value) => typeof value !== 'object' || value === null)) {
                // Plain values (no date literal range): what `=` compares, looked up in a set, one read per row.
                const targets = new Set(expected.map((value) => normalizeForCompare(resolved.def, value)));
                return (row) => {
                    const value = normalizeForCompare(resolved.def, read(row));
                    return (
                        (targets.has(value) || (value === undefined && targets.has(null))) !==
                        condition.negated
                    );
                };
            }
            const matchers = condition.values.map((value) =>
                comparePredicate(resolved.def, read, '=', value)
            );
            return (row) => matchers.some((matcher) => matcher(row)) !== condition.negated;
        }
        case 'like': {
            const resolved = resolvePath(db, object, condition.path);
            if (!isTextType(resolved.def)) {
                throw new RequestError(
                    400,
                    'INVALID_QUERY_FILTER_OPERATOR',
                    `invalid operator on field: ${resolved.def.name}`
                );
            }
            const regex = likePattern(condition.pattern);
            return (row) => {
                const value = readPath(db, resolved, row);
                return typeof value === 'string' && regex.test(value);
            };
        }
    }
}

export interface QueryResult {
    totalSize: number;
    records: Row[];
}

// OFFSET is capped at 2,000 rows (SOQL OFFSET reference); past it Salesforce answers NUMBER_OUTSIDE_VALID_RANGE.
const MAX_OFFSET = 2_000;

export function runQuery(
    db: Database,
    statement: string,
    includeDeleted: boolean,
    version: string
): QueryResult {
    const query = parseSoql(statement);
    const object = db.schema.byLowerName.get(query.from.toLowerCase());
    if (!object) {
        throw new RequestError(
            400,
            'INVALID_TYPE',
            `sObject type '${query.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`
        );
    }
    if (query.offset !== undefined && query.offset > MAX_OFFSET) {
        throw new RequestError(
            400,
            'NUMBER_OUTSIDE_VALID_RANGE',
            `Maximum SOQL offset allowed is ${MAX_OFFSET}`
        );
    }
    const fields = query.fields.map((path) => resolvePath(db, object, path));
    const predicate = query.where ? compile(db, object, query.where) : () => true;
    const order = query.orderBy.map((item) => ({ ...item, resolved: resolvePath(db, object, item.path) }));
    let rows = db.rows(object.name, includeDeleted).filter(predicate);
    if (order.length > 0) {
        rows = [...rows].sort((left, right) => {
            for (const item of order) {
                const a = normalizeForCompare(item.resolved.def, readPath(db, item.resolved, left));
                const b = normalizeForCompare(item.resolved.def, readPath(db, item.resolved, right));
                const aNull = a === null || a === undefined;
                const bNull = b === null || b === undefined;
                if (aNull && bNull) continue;
                if (aNull || bNull) return (aNull ? -1 : 1) * (item.nullsLast ? -1 : 1);
                const result = compareValues(a, b) * (item.descending ? -1 : 1);
                if (result !== 0) return result;
            }
            return 0;
        });
    }
    if (query.offset) rows = rows.slice(query.offset);
    if (query.limit !== undefined) rows = rows.slice(0, query.limit);
    if (query.count) return { totalSize: rows.length, records: [] };
    const records = rows.map((row) => {
        const record: Row = {
            attributes: {
                type: object.name,
                url: `/services/data/v${version}/sobjects/${object.name}/${String(row.Id)}`
            }
        };
        for (const resolved of fields) {
            if (!resolved.relationship || !resolved.parentObject) {
                record[resolved.def.name] = readPath(db, resolved, row);
                continue;
            }
            const key = resolved.relationship.relationshipName ?? resolved.relationship.name;
            const parentId = row[resolved.relationship.name];
            const parent =
                typeof parentId === 'string' ? db.get(resolved.parentObject.name, parentId) : undefined;
            if (!parent) {
                record[key] = null;
                continue;
            }
            const nested = (record[key] as Row | null | undefined) ?? {
                attributes: {
                    type: resolved.parentObject.name,
                    url: `/services/data/v${version}/sobjects/${resolved.parentObject.name}/${String(parent.Id)}`
                }
            };
            nested[resolved.def.name] = db.value(resolved.parentObject, parent, resolved.def.name);
            record[key] = nested;
        }
        return record;
    });
    return { totalSize: records.length, records };
}
