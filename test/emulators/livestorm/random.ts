// A small seeded generator (mulberry32) so scenarios, duplicates and reordering replay identically for a seed.

export interface Random {
    /** A float in [0, 1). */
    next(): number;
    /** An integer in [min, max]. */
    int(min: number, max: number): number;
    chance(probability: number): boolean;
    pick<T>(items: readonly T[]): T;
    /** Shuffles in place (Fisher–Yates) and returns the same array. */
    shuffle<T>(items: T[]): T[];
    /** A uuid v4 drawn from this generator, so ids are reproducible too. */
    uuid(): string;
    hex(length: number): string;
}

export function createRandom(seed: number = Date.now()): Random {
    let state = seed >>> 0;
    const next = (): number => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
    const hex = (length: number): string => {
        let out = '';
        for (let i = 0; i < length; i++) out += int(0, 15).toString(16);
        return out;
    };
    return {
        next,
        int,
        chance: (probability) => next() < probability,
        pick<T>(items: readonly T[]): T {
            if (items.length === 0) throw new Error('cannot pick from an empty list');
            return items[int(0, items.length - 1)] as T;
        },
        shuffle<T>(items: T[]): T[] {
            for (let i = items.length - 1; i > 0; i--) {
                const j = int(0, i);
                const held = items[i] as T;
                items[i] = items[j] as T;
                items[j] = held;
            }
            return items;
        },
        uuid(): string {
            const variant = (8 + int(0, 3)).toString(16);
            return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
        },
        hex
    };
}
