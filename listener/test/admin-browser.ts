// A browser over `app.request()`: it keeps the cookies the admin app sets (session, notices), sends what a browser
// sends with a form post from the page itself (Origin, Sec-Fetch-Site), and follows redirects like a browser does.
import type { Hono } from 'hono';

export const PAGE_ORIGIN = 'http://localhost';

export interface AdminBrowser {
    cookies: Map<string, string>;
    /** The path of the last request (where the last redirect led). */
    readonly path: string;
    /** GET a path, following redirects; returns the last answer. */
    open(path: string): Promise<Response>;
    /** Posts a form from the page (same origin), following the redirect; returns the last answer. */
    submit(path: string, fields?: Record<string, string>): Promise<Response>;
    /** One request with the cookies, nothing followed. */
    request(path: string, init?: RequestInit): Promise<Response>;
}

export function adminBrowser(app: Hono): AdminBrowser {
    const cookies = new Map<string, string>();
    let lastPath = '';
    const remember = (response: Response) => {
        for (const line of response.headers.getSetCookie()) {
            const [pair = ''] = line.split(';');
            const index = pair.indexOf('=');
            const name = pair.slice(0, index);
            const value = pair.slice(index + 1);
            if (value === '' || /Max-Age=0/i.test(line)) cookies.delete(name);
            else cookies.set(name, value);
        }
    };
    const request = async (path: string, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        if (cookies.size)
            headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
        lastPath = path;
        const response = await app.request(`${PAGE_ORIGIN}${path}`, { ...init, headers });
        remember(response);
        return response;
    };
    const follow = async (response: Response): Promise<Response> => {
        let current = response;
        for (let hops = 0; hops < 5 && current.status >= 300 && current.status < 400; hops += 1) {
            current = await request(current.headers.get('location') ?? '/admin');
        }
        return current;
    };
    return {
        cookies,
        get path() {
            return lastPath;
        },
        request,
        open: async (path) => follow(await request(path)),
        submit: async (path, fields = {}) =>
            follow(
                await request(path, {
                    method: 'POST',
                    headers: {
                        'content-type': 'application/x-www-form-urlencoded',
                        origin: PAGE_ORIGIN,
                        'sec-fetch-site': 'same-origin'
                    },
                    body: new URLSearchParams(fields).toString()
                })
            )
    };
}
