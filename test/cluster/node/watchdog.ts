import {spawn} from 'node:child_process'
import {Socket} from 'node:net'
import {fileURLToPath} from 'node:url'

import {claimDeadRuns} from './runs.js'
import {teardown} from './teardown.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const REAPER = fileURLToPath(new URL('reap.ts', import.meta.url))

/**
 * A watchdog per run: a detached shell holding a pipe from this process.
 * When this process ends without saying "done" (killed, crashed, exited
 * before stop()), the pipe closes and the watchdog tears the run down: the
 * shims and containers that outlive their containerd included.
 */
export function startWatchdog(id: string): {release(): void} {
  const child = spawn(
    'sh',
    ['-c', 'trap "" INT TERM HUP; IFS= read -r line; [ "$line" = done ] && exit 0; exec "$@"', 'sh', process.execPath, '--import', 'tsx', REAPER, id],
    {detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: REPO},
  )
  child.unref()
  const stdin = child.stdin as unknown as Socket
  stdin.unref()
  return {release: () => void stdin.end('done\n')}
}

/** Tears down the runs whose process died and whose watchdog did not finish the job. */
export async function reapDeadRuns(): Promise<number> {
  const dead = claimDeadRuns()
  for (const record of dead) await teardown(record).catch(() => undefined)
  return dead.length
}
