import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

describe('configuration', () => {
  it('has defaults that work on loopback', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.freeswitch).toMatchObject({ host: '127.0.0.1', port: 8021, password: 'ClueCon' });
    expect(c.eslListen.port).toBe(8084);
  });

  it('reports every bad value with its variable name', () => {
    try {
      loadConfig({
        HOTLINE_HTTP_PORT: 'eighty',
        HOTLINE_FS_PORT: '70000',
        HOTLINE_REDIS_URL: 'http://x',
        HOTLINE_LOG_LEVEL: 'loud',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const p = (err as ConfigError).problems.join('\n');
      expect(p).toMatch(/HOTLINE_HTTP_PORT="eighty": must be a whole number/);
      expect(p).toMatch(/HOTLINE_FS_PORT=70000: must be between 0 and 65535/);
      expect(p).toMatch(/HOTLINE_REDIS_URL="http:\/\/x": must be a redis/);
      expect(p).toMatch(/HOTLINE_LOG_LEVEL="loud"/);
    }
  });

  it('refuses the development secrets off loopback', () => {
    expect(() => loadConfig({ HOTLINE_HTTP_HOST: '0.0.0.0' })).toThrow(/only allowed on loopback/);
    expect(() =>
      loadConfig({
        HOTLINE_HTTP_HOST: '0.0.0.0',
        HOTLINE_ADMIN_TOKEN: 'a-long-production-token',
        HOTLINE_AGENT_TOKEN_SECRET: 'another-long-secret-value',
      }),
    ).not.toThrow();
  });
});
