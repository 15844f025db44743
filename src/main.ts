// Router entry point: validate configuration, start, and stop cleanly on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './logging/logger.ts';
import { HotlineRouter } from './router.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger({ level: config.logLevel });
if (config.usingDefaultSecrets)
  log.warn('using the development admin token and agent secret (loopback only)');
const router = new HotlineRouter(config, log);
await router.start();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log.info({ sig }, 'stopping');
    void router.stop().then(() => process.exit(0));
  });
}
