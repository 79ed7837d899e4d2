// CLI entry: the only place that reads process.argv and process.env and sets the exit code.
import { realpathSync } from 'node:fs';
import { runCli } from './cli/registry.js';

const code = await runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  env: process.env,
  // The real path: under `npx` argv[1] is a link inside root's npm cache, which the demo's sidecar
  // (run as another uid in a network namespace) cannot read.
  self: [process.execPath, realpathSync(process.argv[1] as string)],
});
process.exitCode = code;
// The command is done (long-running ones return only after shutting down): do not let a leftover
// handle keep the process alive, but give stdout a moment to flush first.
setTimeout(() => process.exit(code), 500).unref();
