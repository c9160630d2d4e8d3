import {existsSync, readFileSync} from 'node:fs'

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
