import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import type {NodeBinaries} from './node/node.js'

const BUILD_ALL = fileURLToPath(new URL('../build-all.sh', import.meta.url))

/**
 * Runs test/build-all.sh (a cache hit when `npm test` built everything
 * already) and returns what it built, or why this machine cannot build it.
 * A build that fails for another reason throws.
 */
export function buildAll(stderr: 'pipe' | 'inherit' = 'pipe'): NodeBinaries | {missing: string} {
  const build = spawnSync('bash', [BUILD_ALL], {encoding: 'utf8', stdio: ['ignore', 'pipe', stderr], timeout: 45 * 60_000})
  const lastLines = (build.stderr ?? '').trim().split('\n').slice(-3).join(' | ')
  if (build.status === 3) return {missing: lastLines}
  if (build.status !== 0) throw new Error(`test/build-all.sh failed (${build.status ?? build.signal}): ${lastLines}`)
  const built: NodeBinaries = {testcp: '', coredns: '', images: []}
  for (const line of build.stdout.trim().split('\n')) {
    const [kind, path] = line.split(' ')
    if (kind === 'image') built.images.push(path)
    else if (kind === 'testcp' || kind === 'coredns') built[kind] = path
  }
  return built
}
