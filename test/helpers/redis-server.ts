export * from '../../src/chaos/redis-server.ts';
