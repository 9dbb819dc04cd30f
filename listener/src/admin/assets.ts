// The admin page's style sheet and script, served by the listener from files (the content security policy allows no
// inline script or style). Read once at start-up; a browser revalidates them with their ETag.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'hono';

interface Asset {
    body: string;
    type: string;
    etag: string;
}

function load(name: string, type: string): Asset {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

const ASSETS: ReadonlyMap<string, Asset> = new Map([
    ['admin.css', load('admin.css', 'text/css; charset=utf-8')],
    ['admin.js', load('admin.js', 'text/javascript; charset=utf-8')]
]);

/** URL path of an asset, e.g. assetPath('admin.css') → /admin/assets/admin.css */
export function assetPath(name: 'admin.css' | 'admin.js'): string {
    return `/admin/assets/${name}`;
}

/** Answers GET /admin/assets/:name (404 for anything else). */
export function serveAsset(c: Context): Response {
    const asset = ASSETS.get(c.req.param('name') ?? '');
    if (!asset) return c.text('not found', 404);
    c.header('ETag', asset.etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('Content-Type', asset.type);
    return c.body(asset.body);
}
