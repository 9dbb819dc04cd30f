// SOQL literals. Every value that reaches a query goes through soqlString: an email may contain ' or \.

/** Quotes a string literal with the escapes the SOQL reference lists (\\ \' \" \n \r \t \b \f). */
export function soqlString(value: string): string {
    const escaped = value
        .replace(/\\/g, '\\\\')
        .replace(/'/g, "\\'")
        .replace(/"/g, '\\"')
        .replace(/\n/g, '\\n')
        .replace(/\r/g, '\\r')
        .replace(/\t/g, '\\t')
        .replaceAll('\b', '\\b')
        .replace(/\f/g, '\\f');
    return `'${escaped}'`;
}

/** `('a', 'b')` for an IN clause; callers never pass an empty list (IN () is not valid SOQL). */
export function soqlList(values: readonly string[]): string {
    if (values.length === 0) throw new Error('soqlList needs at least one value');
    return `(${values.map(soqlString).join(', ')})`;
}

/** Salesforce ids are 15 or 18 alphanumerics; anything else is refused before it reaches a query. */
export function soqlId(id: string): string {
    if (!/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(id))
        throw new Error(`not a Salesforce id: ${JSON.stringify(id)}`);
    return `'${id}'`;
}
