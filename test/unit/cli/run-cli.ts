import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

export interface CliResult {
  status: number
  stdout: string
  stderr: string
}

/** Runs the built plugin as users do: a real process, no TTY. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', DEBUG: '', ...env},
    input: input ?? '',
    timeout: 60_000,
  })
  return {status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr}
}

/**
 * The error contract: exactly one error line, the last thing on stderr, no
 * stack trace, the given exit code. Progress lines ("• …", "warning: …")
 * may come before it: they are not the error.
 */
export function assertOneLineError(result: CliResult, exitCode: number, pattern: RegExp): void {
  const lines = result.stderr.trim().split('\n')
  const errors = lines.filter((l) => l.startsWith('error:'))
  if (result.status !== exitCode) throw new Error(`exit ${result.status}, expected ${exitCode}; stderr: ${result.stderr}`)
  if (errors.length !== 1 || lines.at(-1) !== errors[0]) throw new Error(`expected one error line, last on stderr, got:\n${result.stderr}`)
  if (/\n\s+at /.test(result.stderr)) throw new Error(`stack trace printed:\n${result.stderr}`)
  if (!pattern.test(errors[0])) throw new Error(`stderr ${JSON.stringify(errors[0])} does not match ${pattern}`)
}
