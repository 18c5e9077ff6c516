// Two-factor sign-in: the second step of signing in, and the user's own "Two-factor sign-in" pages.
import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { escapeMarkup } from '../platform/html.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { oneValue } from '../platform/web/form-values.ts';
import type { AuthService } from './service.ts';
import { pauseLifterKey, twoFactorResetterKey } from './two-factor-policy.ts';
import { languageAtSignIn, type Route, setSessionCookie, signedInUser } from './web.ts';

const codeForm = z.object({ code: z.string().default('') });
const recoveryForm = z.object({ recoveryCode: z.string().default('') });
/** With when the codes the page showed were made: posted again, no codes are made twice. */
const newCodesForm = codeForm.extend({ codesMadeAt: oneValue });

/** When so few recovery codes are left, the user is told to make new ones. */
const FEW_RECOVERY_CODES = 3;

/** The secret as people type it: groups of four letters or digits. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/** Pages holding a secret or recovery codes are never stored by the browser or a proxy. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

export function twoFactorRoutes(auth: AuthService, lockMinutes: number): Route[] {
  const twoFactor = auth.twoFactor;

  const secondStepPage = (reply: FastifyReply, kind: 'code' | 'recovery-code', errors?: FieldError[]) =>
    reply.page(
      kind === 'code' ? 'auth/views/two-factor-sign-in.njk' : 'auth/views/recovery-code-sign-in.njk',
      {
        title: reply.request.t(
          kind === 'code' ? 'auth.two-factor.sign-in.title' : 'auth.two-factor.recovery-code.title',
        ),
        errors,
        // Who can reset it if the user has no way in: it depends on the role signing in.
        resetter: twoFactorResetterKey(reply.request.pendingRole ?? 'school'),
      },
    );

  const secondStep = (kind: 'code' | 'recovery-code'): Route[] => {
    const url = kind === 'code' ? '/sign-in/two-factor' : '/sign-in/recovery-code';
    const field = kind === 'code' ? 'code' : 'recoveryCode';
    return [
      {
        method: 'GET',
        url,
        access: 'public',
        handler: async (request, reply) => {
          if (request.user) return reply.redirect('/');
          // Completed already by this browser: on to where a signed-in user goes, if it kept the sign-in.
          if (request.sessionEnded) return reply.redirect('/');
          if (!request.pendingSecondStep) return reply.redirect('/sign-in');
          return secondStepPage(reply, kind);
        },
      },
      {
        method: 'POST',
        url,
        access: 'public',
        handler: async (request, reply) => {
          if (request.user) return reply.redirect('/');
          // The same code posted again (a double click on Continue) after the first completed the sign-in:
          // nothing is checked or counted, and no session is given; the first's answer set it, and '/' opens
          // for this browser if it kept it, or says why it must sign in again (ENDED_SESSION_PAGE).
          if (request.sessionEnded) return reply.redirect('/');
          if (!request.pendingSecondStep) return reply.redirect('/sign-in?expired=1');
          const input =
            kind === 'code'
              ? codeForm.parse(request.body ?? {}).code
              : recoveryForm.parse(request.body ?? {}).recoveryCode;
          if (!input.trim()) {
            const key =
              kind === 'code' ? 'auth.two-factor.enter-code' : 'auth.two-factor.enter-recovery-code';
            return secondStepPage(reply.code(400), kind, [keyedError(field, key)]);
          }
          const outcome = await auth.signInSecondStep(
            request.sessionToken,
            kind === 'code' ? { code: input } : { recoveryCode: input },
            request.ip,
          );
          if (!outcome.ok) {
            if (outcome.reason === 'expired') return reply.redirect('/sign-in?expired=1');
            // Posted twice at once: the other post completed this sign-in (as above).
            if (outcome.reason === 'signed-in-already') return reply.redirect('/');
            const paused = outcome.reason === 'throttled' || outcome.reason === 'throttled-address';
            // The account is known at this step (unlike the password's), so its pause names who can lift it.
            const key =
              outcome.reason === 'throttled'
                ? 'auth.sign-in.throttled-account'
                : outcome.reason === 'throttled-address'
                  ? 'auth.sign-in.throttled-address'
                  : kind === 'code'
                    ? 'auth.two-factor.wrong-code'
                    : 'auth.two-factor.wrong-recovery-code';
            return secondStepPage(reply.code(paused ? 429 : 400), kind, [
              keyedError(field, key, {
                minutes: lockMinutes,
                lifter: message(pauseLifterKey(request.pendingRole ?? 'school')),
              }),
            ]);
          }
          setSessionCookie(reply, outcome.token);
          // The language may have been switched on this page, before the sign-in was complete.
          await languageAtSignIn(auth, request, reply, outcome.user);
          if (outcome.via === 'recovery-code') {
            const left = outcome.recoveryCodesLeft;
            reply.flash(
              request.t(
                left <= FEW_RECOVERY_CODES
                  ? 'auth.two-factor.recovery-code.used-few-left'
                  : 'auth.two-factor.recovery-code.used',
                { count: left },
              ),
              'important',
            );
          }
          return reply.redirect(outcome.user.must_change_password ? '/change-password' : '/');
        },
      },
    ];
  };

  const setUpPage = async (reply: FastifyReply, request: FastifyRequest, errors?: unknown) => {
    const user = signedInUser(request);
    const pending = await twoFactor.setUp(user);
    if (!pending) return reply.redirect('/two-factor');
    const qrSvg = await QRCode.toString(pending.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return noStore(reply).page('auth/views/two-factor-set-up.njk', {
      title: request.t('auth.two-factor.set-up.title'),
      forced: user.mustSetUpTwoFactor,
      backLink: user.mustSetUpTwoFactor ? undefined : { href: '/two-factor' },
      // The SVG is made here from the otpauth:// address: no user input reaches it.
      qrSvg: qrSvg.replace(
        '<svg ',
        `<svg class="s2s-qr-code" width="220" height="220" role="img" aria-label="${escapeMarkup(request.t('auth.two-factor.set-up.qr-code'))}" `,
      ),
      secret: grouped(pending.secret),
      errors,
    });
  };

  const codesPage = (reply: FastifyReply, codes: string[], fresh: 'set-up' | 'replaced') =>
    noStore(reply).page('auth/views/recovery-codes.njk', {
      title: reply.request.t('auth.two-factor.codes.title'),
      codes,
      fresh,
    });

  const confirmPage = (
    reply: FastifyReply,
    view: 'recovery-codes-new' | 'two-factor-turn-off',
    data: Record<string, unknown>,
  ) =>
    reply.page(`auth/views/${view}.njk`, {
      title: reply.request.t(
        view === 'two-factor-turn-off' ? 'auth.two-factor.turn-off.title' : 'auth.two-factor.new-codes.title',
      ),
      backLink: { href: '/two-factor' },
      ...data,
    });

  return [
    ...secondStep('code'),
    ...secondStep('recovery-code'),
    {
      method: 'GET',
      url: '/two-factor',
      access: 'account.two-factor',
      handler: async (request, reply) => {
        const status = await twoFactor.status(signedInUser(request));
        return reply.page('auth/views/two-factor.njk', { title: request.t('auth.two-factor.title'), status });
      },
    },
    {
      method: 'GET',
      url: '/two-factor/set-up',
      access: 'account.two-factor',
      beforeTwoFactorSetUp: true,
      handler: async (request, reply) => setUpPage(reply, request),
    },
    {
      method: 'POST',
      url: '/two-factor/set-up',
      access: 'account.two-factor',
      beforeTwoFactorSetUp: true,
      handler: async (request, reply) => {
        const form = codeForm.parse(request.body ?? {});
        try {
          const done = await twoFactor.confirmOnce(signedInUser(request), form.code, request.sessionToken);
          if ('already' in done) {
            return reply
              .flash(request.t('auth.two-factor.set-up.done-already'), 'important')
              .redirect('/two-factor');
          }
          return codesPage(reply, done.codes, 'set-up');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return setUpPage(reply.code(400), request, error.errors);
        }
      },
    },
    {
      method: 'GET',
      url: '/two-factor/recovery-codes',
      access: 'account.two-factor',
      handler: async (request, reply) => {
        const status = await twoFactor.status(signedInUser(request));
        if (!status.enrolled) return reply.redirect('/two-factor');
        return confirmPage(reply, 'recovery-codes-new', { status });
      },
    },
    {
      method: 'POST',
      url: '/two-factor/recovery-codes',
      access: 'account.two-factor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = newCodesForm.parse(request.body ?? {});
        try {
          const codes = await twoFactor.newRecoveryCodes(user, form.code, request.ip, form.codesMadeAt);
          if (!Array.isArray(codes)) {
            return reply
              .flash(request.t('auth.two-factor.new-codes.made-already'), 'important')
              .redirect('/two-factor');
          }
          return codesPage(reply, codes, 'replaced');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          const status = await twoFactor.status(user);
          if (!status.enrolled) return reply.redirect('/two-factor');
          return confirmPage(reply.code(400), 'recovery-codes-new', { status, errors: error.errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/two-factor/turn-off',
      access: 'account.two-factor',
      handler: async (request, reply) => {
        const status = await twoFactor.status(signedInUser(request));
        if (!status.enrolled) return reply.redirect('/two-factor');
        return confirmPage(reply, 'two-factor-turn-off', { status });
      },
    },
    {
      method: 'POST',
      url: '/two-factor/turn-off',
      access: 'account.two-factor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = codeForm.parse(request.body ?? {});
        try {
          const done = await twoFactor.turnOff(user, form.code, request.ip);
          if ('already' in done) {
            return reply
              .flash(request.t('auth.two-factor.turn-off.off-already'), 'important')
              .redirect('/two-factor');
          }
          return reply.flash(request.t('auth.two-factor.turn-off.done')).redirect('/two-factor');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          const status = await twoFactor.status(user);
          // Off already: the same form posted again (or reset by an administrator meanwhile).
          if (!status.enrolled) {
            return reply
              .flash(request.t('auth.two-factor.turn-off.off-already'), 'important')
              .redirect('/two-factor');
          }
          return confirmPage(reply.code(400), 'two-factor-turn-off', { status, errors: error.errors });
        }
      },
    },
  ];
}
