import {strict as assert} from 'node:assert'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
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

export const COMPLETE = fileURLToPath(new URL('../../../bin/complete.js', import.meta.url))

/** A PATH on which the plugin and its completion program are found, as npm or an archive puts them. */
export function pluginPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-path-'))
  symlinkSync(BIN, join(dir, 'kubectl-svcgw'))
  symlinkSync(COMPLETE, join(dir, 'kubectl_complete-svcgw'))
  return `${dir}:${process.env.PATH}`
}

/** `kubectl __complete svcgw WORDS…` through the real kubectl: candidates (values only) and the directive. */
export function kubectlComplete(words: string[], env: NodeJS.ProcessEnv = {}): {values: string[]; lines: string[]; directive: number} {
  const out = execFileSync('kubectl', ['__complete', 'svcgw', ...words], {encoding: 'utf8', env: {...process.env, PATH: pluginPath(), ...env}, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe']})
  const lines = out.trimEnd().split('\n')
  const last = lines.pop() ?? ''
  assert.match(last, /^:\d+$/, `last line ${JSON.stringify(last)}`)
  return {values: lines.map((l) => l.split('\t')[0]), lines, directive: Number(last.slice(1))}
}
