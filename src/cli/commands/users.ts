// `hotline users add|list|passwd`: accounts straight in Redis (HOTLINE_REDIS_URL, HOTLINE_REDIS_PREFIX), for
// the bootstrap of the first operator, before anyone can sign in to the console. The password is read from
// standard input (one line), or from HOTLINE_NEW_PASSWORD, never from the command line where `ps` shows it.
import { Redis } from 'ioredis';
import { isRole, ROLES, type Role } from '../../accounts/roles.ts';
import { UserStore } from '../../accounts/users.ts';
import { Keys } from '../../redis/keys.ts';
import { type Command, type CommandContext, table, UsageError } from '../command.ts';

async function readPassword(ctx: CommandContext): Promise<string> {
  if (ctx.env.HOTLINE_NEW_PASSWORD) return ctx.env.HOTLINE_NEW_PASSWORD;
  if (process.stdin.isTTY)
    throw new UsageError('pipe the password on standard input, or set HOTLINE_NEW_PASSWORD');
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

async function withStore<T>(ctx: CommandContext, fn: (users: UserStore) => Promise<T>): Promise<T> {
  const redis = new Redis(ctx.env.HOTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    return await fn(new UserStore(redis, new Keys(ctx.env.HOTLINE_REDIS_PREFIX ?? 'hl:')));
  } finally {
    redis.disconnect();
  }
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'Console and desktop accounts in Redis: add (the first operator), list, passwd.',
  usage:
    'users add <username> --roles operator[,supervisor,agent,auditor] [--name 显示名] [--agent <agentId>]  (password on stdin)\n' +
    '       users passwd <username>  (password on stdin)\n       users list',
  options: [
    { name: 'roles', description: `comma-separated: ${ROLES.join(', ')}`, takesValue: true },
    { name: 'name', description: 'display name (default: the user name)', takesValue: true },
    { name: 'agent', description: 'the ACD agent id of an agent user', takesValue: true },
  ],
  async run(ctx) {
    const [sub, username] = ctx.args;
    if (sub === 'list') {
      const list = await withStore(ctx, (u) => u.list());
      if (ctx.json) ctx.out(JSON.stringify(list));
      else
        ctx.out(
          table(
            list.map((u) => ({
              用户: u.username,
              姓名: u.displayName,
              角色: u.roles.join(','),
              坐席: u.agentId ?? '',
              状态: u.disabled ? '停用' : '正常',
            })),
            ['用户', '姓名', '角色', '坐席', '状态'],
          ),
        );
      return 0;
    }
    if (!username || (sub !== 'add' && sub !== 'passwd')) throw new UsageError('say add, passwd or list');
    const password = await readPassword(ctx);
    if (sub === 'passwd') {
      await withStore(ctx, (u) => u.setPassword(username, password));
      ctx.out(ctx.json ? JSON.stringify({ ok: true }) : `password of ${username} set`);
      return 0;
    }
    const roles = String(ctx.opts.roles ?? '')
      .split(',')
      .filter(Boolean);
    if (!roles.length || !roles.every(isRole)) throw new UsageError(`--roles takes ${ROLES.join(', ')}`);
    const user = await withStore(ctx, (u) =>
      u.create({
        username,
        displayName: typeof ctx.opts.name === 'string' ? ctx.opts.name : username,
        roles: roles as Role[],
        ...(typeof ctx.opts.agent === 'string' ? { agentId: ctx.opts.agent } : {}),
        password,
      }),
    );
    ctx.out(
      ctx.json ? JSON.stringify(user) : `user ${user.username} added with roles ${user.roles.join(', ')}`,
    );
    return 0;
  },
};
