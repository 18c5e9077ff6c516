// `s2s users ...`: account administration from the command line. This is how the first national
// administrator is created in production, before anyone can sign in.
import { isRole, ROLE_LABELS, ROLES } from '../auth/permissions.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { Invalid } from '../platform/errors.ts';
import { issuePassword } from './issued-password.ts';
import { CLI_ACTOR } from './policy.ts';
import { findUserByUsername } from './repository.ts';
import { AccountsService } from './service.ts';

const INDENT = ' '.repeat(33);

/** The role names, wrapped to the width of the usage text. */
function roleLines(): string {
  const lines: string[] = [];
  let line = '';
  for (const role of ROLES) {
    const next = line ? `${line}, ${role}` : role;
    if (next.length > 62 && line) {
      lines.push(`${line},`);
      line = role;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l) => `${INDENT}${l}`).join('\n');
}

export const USERS_USAGE = `  users add --username U --role ROLE --name "FULL NAME" [--la LLL] [--school NNNNNNN]
            [--email E] [--telephone T] [--json]
${INDENT}add an account with a random issued password, printed once; the
${INDENT}user must change it when they first sign in. ROLE is one of:
${roleLines()}
  users reset-two-factor --username U [--json]
${INDENT}remove the account's two-factor sign-in (lost phone and recovery
${INDENT}codes) and sign it out; it is set up again at the next sign-in
`;

/** The command-line option behind each field of the Add User form, to name it in messages. */
const OPTION_OF: Record<string, string> = {
  username: '--username',
  fullName: '--name',
  email: '--email',
  telephone: '--telephone',
  role: '--role',
  laNumber: '--la',
  establishmentNumber: '--school',
  newPassword: 'issued password',
  confirmPassword: 'issued password',
};

/**
 * Runs `users SUBCOMMAND ...`. `open` is only called once the arguments are known to be usable, and
 * the database it returns is closed before returning. Exit codes: 0 done, 1 invalid input, 2 usage.
 */
export async function runUsersCommand(
  args: string[],
  open: () => Promise<{ db: Db; clock: Clock }>,
  io: CommandOutput = processOutput,
): Promise<number> {
  if (args[0] === 'reset-two-factor') return resetTwoFactorCommand(args, open, io);
  const parsed = parseCommand(args, {
    name: 'users',
    subcommand: 'add',
    noSubcommand: 'Name a users command.',
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      la: { type: 'string' },
      school: { type: 'string' },
      email: { type: 'string' },
      telephone: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    usage: USERS_USAGE,
    heading: 'Usage: s2s users add ...',
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values: Record<string, string | boolean | undefined> = parsed.values;
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value.trim() : '';
  };
  const missing = ['username', 'role', 'name'].filter((name) => !text(name));
  if (missing.length > 0) return parsed.usage(`Missing ${missing.map((m) => `--${m}`).join(', ')}.`);

  const role = text('role');
  if (!isRole(role)) {
    io.err(`Unknown role "${role}". Use one of: ${ROLES.join(', ')}.\n`);
    return 1;
  }

  const username = text('username');
  const password = issuePassword(username);
  const { db, clock } = await open();
  try {
    const user = await new AccountsService(db, clock).add(CLI_ACTOR, {
      username,
      fullName: text('name'),
      email: text('email'),
      telephone: text('telephone'),
      role,
      laNumber: text('la'),
      establishmentNumber: text('school'),
      newPassword: password,
      confirmPassword: password,
    });
    if (values.json) {
      io.out(
        `${JSON.stringify({
          username: user.username,
          role: user.role,
          laNumber: user.la_number,
          establishmentNumber: user.establishment_number,
          issuedPassword: password,
          mustChangePassword: true,
        })}\n`,
      );
    } else {
      io.out(
        [
          `Added the account ${user.username} (${ROLE_LABELS[role]}${user.la_number ? `, LA ${user.la_number}` : ''}${user.establishment_number ? `, school ${user.establishment_number}` : ''}).`,
          `Issued password: ${password}`,
          'They must choose a new password when they first sign in. Tell them the username and the',
          'password separately: never in the same email or letter.',
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    if (values.json) {
      io.out(`${JSON.stringify({ errors: error.errors })}\n`);
    } else {
      const lines = error.errors.map((e) => `  ${OPTION_OF[e.field] ?? e.field}: ${e.message}`);
      io.err(`The account was not added:\n${lines.join('\n')}\n`);
    }
    return 1;
  } finally {
    await db.destroy();
  }
}

/**
 * `users reset-two-factor --username U`: for the operator, when the only national administrator has lost
 * both their phone and their recovery codes (an LA's users are reset by their DBA on the web).
 */
async function resetTwoFactorCommand(
  args: string[],
  open: () => Promise<{ db: Db; clock: Clock }>,
  io: CommandOutput,
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'users',
    subcommand: 'reset-two-factor',
    options: { username: { type: 'string' }, json: { type: 'boolean', default: false } },
    usage: USERS_USAGE,
    heading: 'Usage: s2s users reset-two-factor ...',
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const username = typeof parsed.values.username === 'string' ? parsed.values.username.trim() : '';
  if (!username) return parsed.usage('Missing --username.');
  const { db, clock } = await open();
  try {
    const user = await findUserByUsername(db, username);
    if (!user) {
      io.err(`There is no account ${username}. Usernames are case-sensitive.\n`);
      return 1;
    }
    const { reset } = await new AccountsService(db, clock).resetTwoFactor(CLI_ACTOR, user.id);
    if (parsed.values.json) io.out(`${JSON.stringify({ username, reset })}\n`);
    else {
      io.out(
        reset
          ? `The two-factor sign-in of ${username} has been reset and they have been signed out. They set it up again when they next sign in, if their role requires it.\n`
          : `${username} has not set up two-factor sign-in: there was nothing to reset.\n`,
      );
    }
    return 0;
  } finally {
    await db.destroy();
  }
}
