// The benchmark's figure as a hand-written SVG: the distribution of "webhook sent → member visible" latency (CDF,
// ours vs the per-record baseline) and the API calls of each phase per 1,000 registrants (bars on a log scale,
// since the two differ by orders of magnitude), then every figure of the run with its target.

export interface PlotInput {
    title: string;
    subtitle: string;
    visibleMs: { ours: number[]; baseline: number[] };
    /** Label → calls per 1,000 registrants, for ours and the baseline. */
    calls: Array<{ label: string; ours: number; baseline: number }>;
    /** Every figure with its target, printed under the plots (cells already formatted). */
    table?: { header: string[]; rows: string[][] };
}

const COLORS = { ours: '#1f77b4', baseline: '#d62728', grid: '#e3e3e3', axis: '#444', text: '#222' };

function escapeXml(text: string): string {
    return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function cdfPath(samples: number[], x: (ms: number) => number, y: (share: number) => number): string {
    if (samples.length === 0) return '';
    const sorted = [...samples].sort((a, b) => a - b);
    const points = [`M${x(sorted[0]!).toFixed(1)},${y(0).toFixed(1)}`];
    sorted.forEach((value, index) => {
        points.push(`L${x(value).toFixed(1)},${y(index / sorted.length).toFixed(1)}`);
        points.push(`L${x(value).toFixed(1)},${y((index + 1) / sorted.length).toFixed(1)}`);
    });
    return points.join(' ');
}

export function renderPlot(input: PlotInput): string {
    const width = 960;
    const rowHeight = 18;
    const tableRows = input.table ? input.table.rows.length + 1 : 0;
    const tableTop = 420;
    const height = tableTop + (tableRows ? tableRows * rowHeight + 24 : 0);
    const parts: string[] = [];
    const text = (x: number, y: number, content: string, attributes = '') =>
        parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`);
    parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
    text(20, 28, input.title, 'font-size="18" font-weight="bold"');
    text(20, 48, input.subtitle, 'font-size="12" fill="#555"');

    // Left: CDF of visible latency, log-scaled time (the two can differ by orders of magnitude).
    const left = { x: 70, y: 80, w: 380, h: 270 };
    const allVisible = [...input.visibleMs.ours, ...input.visibleMs.baseline];
    const minDecade = Math.floor(Math.log10(Math.max(1, Math.min(...allVisible, 100))));
    const maxDecade = Math.max(minDecade + 1, Math.ceil(Math.log10(Math.max(100, ...allVisible))));
    const x = (ms: number) =>
        left.x + ((Math.log10(Math.max(10 ** minDecade, ms)) - minDecade) / (maxDecade - minDecade)) * left.w;
    const y = (share: number) => left.y + left.h - share * left.h;
    for (let tick = 0; tick <= 4; tick += 1) {
        const share = tick / 4;
        parts.push(`<line x1="${left.x}" x2="${left.x + left.w}" y1="${y(share)}" y2="${y(share)}" stroke="${COLORS.grid}"/>`);
        text(left.x - 8, y(share) + 4, `${share * 100}%`, 'font-size="11" text-anchor="end"');
    }
    for (let decade = minDecade; decade <= maxDecade; decade += 1) {
        const ms = 10 ** decade;
        parts.push(`<line x1="${x(ms)}" x2="${x(ms)}" y1="${left.y}" y2="${left.y + left.h}" stroke="${COLORS.grid}"/>`);
        text(x(ms), left.y + left.h + 16, ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`, 'font-size="11" text-anchor="middle"');
    }
    parts.push(`<rect x="${left.x}" y="${left.y}" width="${left.w}" height="${left.h}" fill="none" stroke="${COLORS.axis}"/>`);
    parts.push(`<path d="${cdfPath(input.visibleMs.baseline, x, y)}" fill="none" stroke="${COLORS.baseline}" stroke-width="2"/>`);
    parts.push(`<path d="${cdfPath(input.visibleMs.ours, x, y)}" fill="none" stroke="${COLORS.ours}" stroke-width="2"/>`);
    text(left.x + left.w / 2, left.y - 10, 'Webhook sent → Campaign Member visible (CDF, log time)', 'font-size="13" text-anchor="middle" font-weight="bold"');

    // Right: API calls per 1,000 registrants, log scale.
    const right = { x: 560, y: 80, w: 370, h: 270 };
    const maxCalls = 10 ** Math.ceil(Math.log10(Math.max(10, ...input.calls.flatMap((row) => [row.ours, row.baseline]))));
    // From 0.1, so that a phase costing one call per 1,000 still shows a bar.
    const decades = Math.log10(maxCalls) + 1;
    const yCalls = (calls: number) => right.y + right.h - ((Math.log10(Math.max(0.1, calls)) + 1) / decades) * right.h;
    for (let decade = -1; decade < decades; decade += 1) {
        const value = 10 ** decade;
        parts.push(`<line x1="${right.x}" x2="${right.x + right.w}" y1="${yCalls(value)}" y2="${yCalls(value)}" stroke="${COLORS.grid}"/>`);
        text(right.x - 8, yCalls(value) + 4, value.toLocaleString('en-US'), 'font-size="11" text-anchor="end"');
    }
    parts.push(`<rect x="${right.x}" y="${right.y}" width="${right.w}" height="${right.h}" fill="none" stroke="${COLORS.axis}"/>`);
    const group = right.w / Math.max(1, input.calls.length);
    const barWidth = Math.min(40, group / 3);
    input.calls.forEach((row, index) => {
        const center = right.x + group * (index + 0.5);
        for (const [offset, value, color] of [
            [-barWidth - 2, row.ours, COLORS.ours],
            [2, row.baseline, COLORS.baseline]
        ] as const) {
            const top = yCalls(value);
            parts.push(`<rect x="${(center + offset).toFixed(1)}" y="${top.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(right.y + right.h - top).toFixed(1)}" fill="${color}"/>`);
            text(center + offset + barWidth / 2, top - 4, value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US'), 'font-size="10" text-anchor="middle"');
        }
        text(center, right.y + right.h + 16, row.label, 'font-size="11" text-anchor="middle"');
    });
    text(right.x + right.w / 2, right.y - 10, 'Salesforce API calls per 1,000 registrants (log)', 'font-size="13" text-anchor="middle" font-weight="bold"');

    // Legend.
    const legendY = tableTop - 18;
    parts.push(`<rect x="${left.x}" y="${legendY - 10}" width="14" height="10" fill="${COLORS.ours}"/>`);
    text(left.x + 20, legendY, 'livestorm-salesforce listener', 'font-size="12"');
    parts.push(`<rect x="${left.x + 220}" y="${legendY - 10}" width="14" height="10" fill="${COLORS.baseline}"/>`);
    text(left.x + 240, legendY, 'per-record baseline (10 requests in parallel)', 'font-size="12"');

    // Figures and targets.
    if (input.table) {
        const columns = [70, 650, 760, 880, 940];
        const anchors = ['start', 'end', 'end', 'end', 'end'];
        const row = (cells: string[], y: number, attributes: string) =>
            cells.forEach((cell, column) =>
                text(columns[column]!, y, cell, `font-size="12" text-anchor="${anchors[column]}" ${attributes}`)
            );
        const headerY = tableTop + rowHeight;
        row(input.table.header, headerY, 'font-weight="bold"');
        parts.push(`<line x1="${left.x}" x2="${width - 20}" y1="${headerY + 5}" y2="${headerY + 5}" stroke="${COLORS.axis}"/>`);
        input.table.rows.forEach((cells, index) => {
            const verdict = cells[cells.length - 1];
            const color = verdict === 'MISS' ? COLORS.baseline : verdict === 'PASS' ? '#2ca02c' : COLORS.text;
            row(cells, headerY + (index + 1) * rowHeight, `fill="${color}"`);
        });
    }

    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" fill="${COLORS.text}">\n${parts.join('\n')}\n</svg>\n`;
}
