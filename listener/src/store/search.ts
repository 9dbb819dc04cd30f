// The lower-cased keys the people search reads, derived from the folded state in one place for both stores.
import type { PersonState } from './state.ts';

/**
 * The search columns of a person: the e-mail and the "first last" name, lower-cased (Unicode-aware, so a search for
 * "élodie" finds "Élodie"). An absent e-mail or name is ''.
 */
export function personSearchKeys(state: PersonState): { search_email: string; search_name: string } {
    return {
        search_email: (state.email ?? '').trim().toLowerCase(),
        search_name: [state.firstName, state.lastName]
            .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
            .map((part) => part.trim())
            .join(' ')
            .toLowerCase()
    };
}
