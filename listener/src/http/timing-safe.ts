// Comparing secrets in constant time. Both sides are hashed first (as octokit's webhooks-methods and hono's
// timingSafeEqual do) so the buffers handed to crypto.timingSafeEqual always have the same length and the time taken
// reveals neither the secret's length nor how many leading characters matched.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
    return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether two strings are equal, in time independent of where they differ.
 * @param expected the secret we hold
 * @param received the value from the request (undefined/null never match)
 */
export function constantTimeEqual(expected: string, received: string | null | undefined): boolean {
    if (typeof received !== 'string') return false;
    // The digests hide the lengths; the final check rejects the (astronomically unlikely) sha256 collision.
    return timingSafeEqual(digest(expected), digest(received)) && expected.length === received.length;
}
