// A throw-away copy of the package source, for showing that a rule catches the mistake it is about.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPackageDir, repositoryRoot } from './package-metadata.ts';

export interface PackageCopy {
    root: string;
    packageDir: string;
    edit(relativePath: string, change: (source: string) => string): void;
    remove(relativePath: string): void;
    write(relativePath: string, source: string): void;
    dispose(): void;
}

export function copyPackage(): PackageCopy {
    const root = mkdtempSync(join(tmpdir(), 'livestorm-package-'));
    const packageDir = join(root, 'force-app', 'main', 'default');
    cpSync(defaultPackageDir, packageDir, {
        recursive: true,
        filter: (source) => !source.includes('__tests__')
    });
    cpSync(join(repositoryRoot, 'sfdx-project.json'), join(root, 'sfdx-project.json'));
    return {
        root,
        packageDir,
        edit(relativePath, change) {
            const file = join(packageDir, relativePath);
            const before = readFileSync(file, 'utf8');
            const after = change(before);
            if (after === before) throw new Error(`editing ${relativePath} changed nothing`);
            writeFileSync(file, after);
        },
        remove(relativePath) {
            rmSync(join(packageDir, relativePath));
        },
        write(relativePath, source) {
            writeFileSync(join(packageDir, relativePath), source);
        },
        dispose() {
            rmSync(root, { recursive: true, force: true });
        }
    };
}
