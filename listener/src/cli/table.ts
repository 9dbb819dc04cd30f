// Plain aligned columns for terminal output.
export function formatTable(header: string[], rows: string[][]): string {
    const widths = header.map((title, column) =>
        Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length))
    );
    const line = (cells: string[]) =>
        cells
            .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
            .join('  ')
            .trimEnd();
    return [line(header), ...rows.map(line)].join('\n');
}
