export * from '../../src/chaos/ports.ts';
