// `hotline config`: validate the environment as the router would, and show the effective settings.
import { ConfigError, loadConfig } from '../../config/env.ts';
import type { Command } from '../command.ts';

export const configCommand: Command = {
  name: 'config',
  summary:
    'Validate the HOTLINE_* environment variables and print the effective configuration (secrets hidden).',
  usage: 'config [--json]',
  options: [],
  async run(ctx) {
    try {
      const c = loadConfig(ctx.env);
      const shown = {
        ...c,
        adminToken: '***',
        agentTokenSecret: '***',
        freeswitch: { ...c.freeswitch, password: '***' },
      };
      ctx.out(
        ctx.json
          ? JSON.stringify({ ok: true, config: shown })
          : `configuration is valid\n${JSON.stringify(shown, null, 2)}\n`,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (ctx.json) ctx.out(JSON.stringify({ ok: false, problems: err.problems }));
      else ctx.err(`${err.message}\n`);
      return 2;
    }
  },
};
