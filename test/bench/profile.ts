// Reads the .cpuprofile files `node --cpu-prof` writes and lists where the listener spent its CPU: self time per
// function, aggregated over every profile in the directory.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { repositoryRoot } from './processes.ts';

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
}

export interface HotFunction {
    name: string;
    where: string;
    selfMs: number;
    share: number;
}

export async function hotFunctions(directory: string, limit = 15): Promise<{ totalMs: number; top: HotFunction[] }> {
    const selfByFrame = new Map<string, { name: string; where: string; selfUs: number }>();
    let totalUs = 0;
    for (const file of (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'))) {
        const profile = JSON.parse(await readFile(join(directory, file), 'utf8')) as CpuProfile;
        const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
        profile.samples.forEach((nodeId, index) => {
            const frame = frames.get(nodeId);
            const delta = profile.timeDeltas[index] ?? 0;
            if (!frame) return;
            totalUs += delta;
            const url = frame.url.startsWith('file://') ? relative(repositoryRoot, new URL(frame.url).pathname) : frame.url;
            const where = url ? `${url}:${frame.lineNumber + 1}` : '';
            const name = frame.functionName || '(anonymous)';
            const key = `${name} ${where}`;
            const entry = selfByFrame.get(key) ?? { name, where, selfUs: 0 };
            entry.selfUs += delta;
            selfByFrame.set(key, entry);
        });
    }
    const top = [...selfByFrame.values()]
        .sort((a, b) => b.selfUs - a.selfUs)
        .slice(0, limit)
        .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.selfUs / 1000, share: totalUs ? entry.selfUs / totalUs : 0 }));
    return { totalMs: totalUs / 1000, top };
}
