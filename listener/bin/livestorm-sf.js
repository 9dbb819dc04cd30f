#!/usr/bin/env node
// The `livestorm-sf` command. Kept in JavaScript so the bin link runs under plain Node; the TypeScript it imports is
// run by Node 24's type stripping.
import { main } from '../src/cli/main.ts';

await main();
