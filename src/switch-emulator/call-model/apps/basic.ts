// mod_dptools basics: answer, pre_answer, ring_ready, set, unset, export, sleep, hangup, park, transfer, log.
import { normaliseCause } from '../causes.ts';
import { setAckVars } from '../sofia-vars.ts';
import type { AppContext, AppFn } from '../session.ts';
import { splitArgs } from './playback.ts';

const answer: AppFn = async (ctx) => {
  const { core, channel: ch } = ctx;
  const wasAnswered = ch.answered;
  core.answer(ch);
  // The caller's ACK to our 200 OK lands right after the answer completes.
  if (!wasAnswered && ch.tech === 'sofia' && ch.direction === 'inbound')
    setImmediate(() => ch.up && setAckVars(ch));
};

const preAnswer: AppFn = async (ctx) => {
  ctx.core.preAnswer(ctx.channel);
};

const ringReady: AppFn = async (ctx) => {
  ctx.core.markRingReady(ctx.channel);
};

function splitAssignment(data: string): [string, string | undefined] {
  const eq = data.indexOf('=');
  if (eq < 0) return [data.trim(), undefined];
  return [data.slice(0, eq).trim(), data.slice(eq + 1)];
}

const set: AppFn = async (ctx, data) => {
  const [k, v] = splitAssignment(data);
  if (k) ctx.channel.vars.set(k, v === '' ? undefined : v);
};

// mod_dptools multiset: several `var=value` separated by spaces, or by the character after a leading "^^".
const multiset: AppFn = async (ctx, data) => {
  let list = data;
  let delim = ' ';
  if (list.startsWith('^^') && list.length > 2) {
    delim = list[2]!;
    list = list.slice(3);
  }
  for (const item of list.split(delim)) if (item) await set(ctx, item);
};

const unset: AppFn = async (ctx, data) => {
  if (data.trim()) ctx.channel.vars.delete(data.trim());
};

// switch_channel_export_variable_var_check: local copy first (unless nolocal:), then the export_vars list.
const exportApp: AppFn = async (ctx, data) => {
  const [rawKey, v] = splitAssignment(data);
  let k = rawKey;
  let local = true;
  if (k.startsWith('nolocal:')) {
    k = k.slice('nolocal:'.length);
    local = false;
  }
  if (!k) return;
  const vars = ctx.channel.vars;
  if (local) vars.set(k, v === '' ? undefined : v);
  const list = (vars.get('export_vars') ?? '').split(',').filter(Boolean);
  if (!list.includes(k)) list.push(k);
  vars.set('export_vars', list.join(','));
};

const sleep: AppFn = async (ctx, data) => {
  const ms = Number(data);
  if (Number.isFinite(ms) && ms > 0) await ctx.wait(ms);
};

const hangup: AppFn = async (ctx, data) => {
  const by = ctx.session.origin === 'socket' ? 'router' : 'switch';
  ctx.core.hangup(ctx.channel, normaliseCause(data || undefined), by);
};

const park: AppFn = async (ctx: AppContext) => {
  await ctx.session.park();
};

// transfer <extension> [<dialplan>] [<context>] | -bleg|-both <extension> [<dialplan>] [<context>]
const transfer: AppFn = async (ctx, data) => {
  const argv = splitArgs(data);
  const [first = ''] = argv;
  if (!first) return;
  const bleg = first.toLowerCase() === '-bleg';
  const both = first.toLowerCase() === '-both';
  if (bleg || both) {
    const partner = ctx.channel.bridgedTo ? ctx.core.channels.get(ctx.channel.bridgedTo) : undefined;
    if (partner?.up) ctx.core.session(partner).transfer(argv[1] ?? '', argv[2], argv[3]);
    if (both) ctx.session.transfer(argv[1] ?? '', argv[2], argv[3]);
    return;
  }
  ctx.session.transfer(first, argv[1], argv[2]);
};

const noop: AppFn = async () => undefined;

export const basicApps: Record<string, AppFn> = {
  answer,
  pre_answer: preAnswer,
  ring_ready: ringReady,
  set,
  multiset,
  unset,
  export: exportApp,
  sleep,
  hangup,
  park,
  transfer,
  log: noop,
  info: noop,
  event: noop,
};
