import {readFileSync, rmSync} from 'node:fs'

import {killCgroupTree, removeCgroupTree} from './cgroups.js'
import {attempt} from './host.js'
import {removeNetwork} from './network.js'
import {names, releaseRun, type RunRecord} from './runs.js'

/** Mount points at or below dir, deepest first. */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

/**
 * Removes everything a run made, in an order where each step can succeed:
 * processes (all of them, shims and containers included, via the cgroup
 * tree), whereupon the nodes' mount namespaces and every mount in them
 * (overlay root filesystems, volumes, pod network namespaces) go too; then
 * cgroups, network namespaces and links, the run's directory. Safe to
 * repeat; used by stop(), the watchdog and the reaper of dead runs alike.
 */
export async function teardown(record: RunRecord): Promise<void> {
  const n = names(record.id)
  const errors: string[] = []
  // Each step is tried even when one before it failed: what it removes does not depend on it.
  const step = async (what: () => unknown) => {
    try {
      await what()
    } catch (error) {
      errors.push((error as Error).message)
    }
  }
  await step(() => killCgroupTree(n.cgroup))
  // None expected in the host's namespace; lazy: one still busy is detached now, freed when its last user goes.
  await step(() => {
    const mounts = mountsUnder(record.dir)
    if (mounts.length > 0) attempt('umount', ['--lazy', ...mounts])
    const left = mountsUnder(record.dir)
    // Never delete through a mount: a container's bind mount could reach any host directory.
    if (left.length > 0) throw new Error(`mounts left under ${record.dir}: ${left.join(' ')}`)
    rmSync(record.dir, {recursive: true, force: true})
  })
  await step(() => removeCgroupTree(n.cgroup))
  await step(() => removeNetwork(record))
  if (errors.length > 0) throw new Error(`teardown of test run ${record.id}: ${errors.join('; ')}`)
  releaseRun(record)
}
