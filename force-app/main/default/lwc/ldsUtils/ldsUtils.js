/**
 * Turns whatever Lightning Data Service, a fetch or JavaScript threw into a flat list of readable messages.
 * Wire adapters and imperative calls report errors in several shapes (UI API body array, page and field
 * errors of a record save, a plain Error), and the components show them the same way.
 * @param {FetchResponse|FetchResponse[]|Error|Error[]} errors
 * @returns {string[]} the messages, empty ones removed
 */
export function reduceErrors(errors) {
    const list = Array.isArray(errors) ? errors : [errors];
    return list
        .filter((error) => !!error)
        .flatMap((error) => {
            const body = error.body;
            if (Array.isArray(body)) {
                return body.map((entry) => entry.message);
            }
            if (body && body.output && (body.output.errors?.length || body.output.fieldErrors)) {
                const pageErrors = (body.output.errors ?? []).map((entry) => entry.message);
                const fieldErrors = Object.values(body.output.fieldErrors ?? {})
                    .flat()
                    .map((entry) => entry.message);
                return [...pageErrors, ...fieldErrors];
            }
            if (body && typeof body.message === 'string') {
                return [body.message];
            }
            if (typeof error.message === 'string') {
                return [error.message];
            }
            return [error.statusText];
        })
        .filter((message) => typeof message === 'string' && message.length > 0);
}
