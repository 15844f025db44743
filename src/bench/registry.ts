// Every benchmark group `npm run bench` knows, in the order they run.
import { screenpopGroup } from './screenpop.ts';
import type { BenchGroup } from './types.ts';

export const groups: BenchGroup[] = [screenpopGroup];
