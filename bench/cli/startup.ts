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
