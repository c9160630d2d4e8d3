import {spawnSync} from 'node:child_process'

/** Wall time of one run of a command, in milliseconds. */
export function timeOnce(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, {stdio: 'ignore', env})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Runs the candidates interleaved (a, b, a, b, …) so that machine noise
 * falls on all of them alike, and returns each one's median.
 */
export function interleaved(candidates: Array<{name: string; run: () => number}>, rounds: number): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(candidates.map((c) => [c.name, []]))
  for (const c of candidates) c.run() // warm the page cache
  for (let i = 0; i < rounds; i++) for (const c of candidates) samples[c.name].push(c.run())
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
}

/**
 * CPU time (user + system, in milliseconds) of one run of a command and everything it starts,
 * and its wall time. Node's child_process reports no resource usage of a child, so the command
 * runs under bash, whose `times` builtin prints getrusage(RUSAGE_CHILDREN): the CPU of the
 * processes bash waited for (a plugin kubectl execs stays the same process, so it is counted).
 */
export function cpuOnce(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): {cpu: number; wall: number} {
  const started = process.hrtime.bigint()
  const result = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1 || exit 97; times', 'bench', command, ...args], {encoding: 'utf8', env})
  const wall = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status})`)
  const children = result.stdout.trim().split('\n').at(-1) ?? ''
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s))
  if (seconds.length !== 2) throw new Error(`unexpected \`times\` output: ${result.stdout}`)
  return {cpu: (seconds[0] + seconds[1]) * 1000, wall}
}

export interface PairedFigure {
  name: string
  /** Median CPU ms of the command and of the baseline. */
  cpu: number
  baseCpu: number
  /** Median of the per-pair ratios command / baseline (machine drift falls on both of a pair alike). */
  ratio: number
}

/**
 * Each command against one baseline, in pairs (A, baseline, A, baseline, …) after a warm-up
 * run of each: CPU medians and the median of the pairs' ratios.
 */
export function paired(baseline: () => {cpu: number}, commands: Array<{name: string; run: () => {cpu: number}}>, rounds: number): PairedFigure[] {
  baseline()
  return commands.map(({name, run}) => {
    run()
    const a: number[] = []
    const b: number[] = []
    for (let i = 0; i < rounds; i++) {
      a.push(run().cpu)
      b.push(baseline().cpu)
    }
    return {name, cpu: median(a), baseCpu: median(b), ratio: median(a.map((x, i) => x / b[i]))}
  })
}
