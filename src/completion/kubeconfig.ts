import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

/** The kubeconfig files kubectl would read: --kubeconfig, else $KUBECONFIG's list, else ~/.kube/config. */
export function kubeconfigFiles(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag) return [flag]
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean)
  return [join(homedir(), '.kube', 'config')]
}

/** Context names of those files, in order, each once; unreadable files give none (completion stays silent). */
export async function contextNames(files: string[]): Promise<string[]> {
  const {load} = await import('js-yaml')
  const names: string[] = []
  for (const file of files) {
    if (!existsSync(file)) continue
    try {
      const config = load(readFileSync(file, 'utf8')) as {contexts?: Array<{name?: unknown}>} | undefined
      for (const c of config?.contexts ?? []) if (typeof c?.name === 'string' && !names.includes(c.name)) names.push(c.name)
    } catch {
      // not a kubeconfig: nothing to offer from it
    }
  }
  return names
}
