// The chaos harness's router launcher, shared with the multi-instance tests.
export * from '../../src/chaos/router-process.ts';
