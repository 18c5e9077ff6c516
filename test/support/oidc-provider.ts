// A real OpenID Connect provider (node oidc-provider) on 127.0.0.1, for single sign-on tests: discovery,
// authorization with PKCE, the token and UserInfo endpoints and signed ID tokens are the library's own.
// Only its login page is ours, as every deployment of oidc-provider writes its own: a username and a
// password, or Cancel. Accounts are registered by the test, with the claims and the authentication
// methods (amr) the provider will vouch for. s2s is registered as a first-party client, as an LA would
// register it, so no consent page is shown.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** The password of every account at the test provider. */
export const PROVIDER_PASSWORD = 'provider-password-2026';

export interface ProviderAccount {
  /** The subject: the provider's identifier of the person, never reassigned. */
  sub: string;
  email?: string;
  email_verified?: boolean;
  /** How the person authenticated (RFC 8176), as the ID token will say: ['pwd'] unless given. */
  amr?: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** An account that signs in at the provider's login page with `login` and PROVIDER_PASSWORD. */
  addAccount(login: string, account: ProviderAccount): void;
  /** The s2s settings (OIDC_*) that use this provider. */
  env(redirectUri: string): Record<string, string>;
  stop(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test LA sign-in</title></head>
<body><main>
<h1>Sign in to Test LA</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>
</main></body></html>`;
}

async function formOf(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTestProvider(options: { redirectUris: string[] }): Promise<TestProvider> {
  const accounts = new Map<string, ProviderAccount>();
  const bySubject = (sub: string) => [...accounts.values()].find((account) => account.sub === sub);
  const clientId = 's2s-test';
  const clientSecret = randomBytes(24).toString('base64url');

  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.statusCode = 503;
    response.end();
  };
  const server = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'RS256' }] as never },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // amr with the openid scope: the ID token then says how the person authenticated, as LA providers do.
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    async findAccount(_ctx, sub) {
      const account = bySubject(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          ...(account.email === undefined ? {} : { email: account.email }),
          ...(account.email_verified === undefined ? {} : { email_verified: account.email_verified }),
        }),
      };
    },
    // A first-party client: the grant is given without a consent page.
    async loadExistingGrant(ctx) {
      const oidc = ctx.oidc;
      if (!oidc.client || !oidc.session?.accountId) return undefined;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({
        clientId: oidc.client.clientId,
        accountId: oidc.session.accountId,
      });
      grant.addOIDCScope('openid email');
      await grant.save();
      oidc.session.grantIdFor(oidc.client.clientId, grant.jti);
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  handle = (request, response) => {
    const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(request.url ?? '');
    if (!match) {
      callback(request, response);
      return;
    }
    const [, uid = '', action] = match;
    const answer = async () => {
      await provider.interactionDetails(request, response);
      if (request.method === 'GET' && !action) {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(loginPage(uid));
        return;
      }
      if (request.method !== 'POST') {
        response.statusCode = 405;
        response.end();
        return;
      }
      if (action === '/abort') {
        await provider.interactionFinished(
          request,
          response,
          { error: 'access_denied', error_description: 'The user cancelled signing in' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const form = await formOf(request);
      const account = accounts.get(form.get('login') ?? '');
      if (!account || form.get('password') !== PROVIDER_PASSWORD) {
        response.statusCode = 400;
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(loginPage(uid, 'The username or password is not correct'));
        return;
      }
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: account.sub, amr: account.amr ?? ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
    };
    answer().catch((error: unknown) => {
      response.statusCode = 400;
      response.end(`The sign-in could not continue: ${error instanceof Error ? error.message : 'error'}`);
    });
  };

  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (login, account) => {
      accounts.set(login, account);
    },
    env: (redirectUri) => ({
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_REDIRECT_URI: redirectUri,
    }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A person's browser at the provider, for tests through app.inject (s2s is not on a port): it follows the
 * provider's redirects from the authorization address, signs in at the login page (or cancels), and stops
 * at the address the provider sends it back to: s2s's callback, which the test then opens in its Agent.
 */
export class ProviderBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly provider: TestProvider) {}

  async signIn(authorizationUrl: string, login: string | { cancel: true }): Promise<URL> {
    let url = new URL(authorizationUrl);
    let form: URLSearchParams | undefined;
    for (let hop = 0; hop < 20; hop += 1) {
      if (url.origin !== new URL(this.provider.issuer).origin) return url;
      const response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          ...(this.cookies.size > 0
            ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
            : {}),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form?.toString(),
      });
      this.remember(response);
      form = undefined;
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        continue;
      }
      const body = await response.text();
      const uid = /action="\/interaction\/([\w-]+)\/login"/.exec(body)?.[1];
      if (response.status !== 200 || !uid) {
        throw new Error(`the provider answered ${response.status} at ${url.pathname}: ${body.slice(0, 300)}`);
      }
      if (typeof login === 'string') {
        url = new URL(`/interaction/${uid}/login`, url);
        form = new URLSearchParams({ login, password: PROVIDER_PASSWORD });
      } else {
        url = new URL(`/interaction/${uid}/abort`, url);
        form = new URLSearchParams();
      }
    }
    throw new Error('the provider redirected too many times');
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
