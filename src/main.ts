// CLI entry: the only place that reads process.argv and process.env and sets the exit code.
import { runCli } from './cli/registry.js';

const code = await runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  env: process.env,
  self: [process.execPath, process.argv[1] as string],
});
process.exitCode = code;
