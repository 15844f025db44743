// Every benchmark group `npm run bench` knows, in the order they run.
import { acdGroup } from './acd.ts';
import { eslBytesGroup } from './eslbytes.ts';
import { realfsGroup } from './realfs.ts';
import { screenpopGroup } from './screenpop.ts';
import { simulatorBenchGroup } from '../simulator/bench.ts';
import type { BenchGroup } from './types.ts';

export const groups: BenchGroup[] = [
  acdGroup,
  screenpopGroup,
  simulatorBenchGroup,
  realfsGroup,
  eslBytesGroup,
];
