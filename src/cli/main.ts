// The operator's CLI: `npx hotline <command> [--json] [--help]`.
import { type Command, COMMON_OPTIONS, helpText, parseArgs, UsageError } from './command.ts';
import { configCommand } from './commands/config-check.ts';
import { healthCommand } from './commands/health.ts';
import { ivrCommand } from './commands/ivr.ts';
import { statsCommand } from './commands/stats.ts';
import { linesCommand, routeCommand } from './commands/lines.ts';
import { forecastCommand } from './commands/forecast.ts';
import { historyCommand } from './commands/history.ts';
import { staffCommand } from './commands/staff.ts';
import { planCommand } from './commands/plan.ts';
import { simulateCommand } from './commands/simulate.ts';
import { usersCommand } from './commands/users.ts';

export const COMMANDS: Command[] = [
  linesCommand,
  routeCommand,
  healthCommand,
  configCommand,
  ivrCommand,
  statsCommand,
  historyCommand,
  forecastCommand,
  staffCommand,
  planCommand,
  simulateCommand,
  usersCommand,
];

export async function runCli(argv: string[], env = process.env): Promise<number> {
  const out = (t: string) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  const err = (t: string) => process.stderr.write(t);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    const list = COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n');
    out(
      `hotline: the 12345 hotline router's operator CLI\n\nCommands:\n${list}\n\nEach command takes --help and --json.\n`,
    );
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    err(`hotline: unknown command "${name}" (try hotline --help)\n`);
    return 2;
  }
  try {
    const { args, opts } = parseArgs(rest, [...cmd.options, ...COMMON_OPTIONS]);
    if (opts.help) {
      out(helpText(cmd));
      return 0;
    }
    return await cmd.run({ args, opts, json: opts.json === true, out, err, env });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`hotline ${cmd.name}: ${e.message}\n\n${helpText(cmd)}`);
      return 2;
    }
    const msg = (e as Error).message;
    if (rest.includes('--json')) out(JSON.stringify({ ok: false, error: msg }));
    else err(`hotline ${cmd.name}: ${msg}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && /cli[/\\]main\.ts$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await runCli(process.argv.slice(2));
