import { PASSWORD, type TestServer } from './harness.ts';

/** A browser without a browser: cookies kept by hand, redirects not followed. */
export class WebClient {
  cookies = new Map<string, string>();
  readonly server: TestServer;
  constructor(server: TestServer) {
    this.server = server;
  }

  async request(method: string, url: string, options: { form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { accept: 'text/html', ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(`${this.server.url}${url}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name!);
      else this.cookies.set(name!, value.join('='));
    }
    return { status: response.status, headers: response.headers, text: await response.text(), setCookies: response.headers.getSetCookie() };
  }

  get = (url: string, headers?: Record<string, string>) => this.request('GET', url, headers ? { headers } : {});
  post = (url: string, form: Record<string, string>, headers?: Record<string, string>) => this.request('POST', url, { form, ...(headers ? { headers } : {}) });

  async signIn(username: string, password = PASSWORD, next = '/') {
    const form = await this.get(`/login?next=${encodeURIComponent(next)}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    return this.post('/login', { username, password, next, _csrf: csrf });
  }

  /** The CSRF token a signed-in page carries. */
  async csrf(): Promise<string> {
    const page = await this.get('/security/alerts');
    return /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
  }
}
