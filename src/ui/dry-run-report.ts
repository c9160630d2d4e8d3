import yaml from 'js-yaml'

import type {JournalEntry} from '../kube/dry-run.js'
import type {KubeObject} from '../kube/object.js'

/** One cluster's would-be changes. */
export interface ClusterChanges {
  context: string
  entries: JournalEntry[]
}

/** Fields the apiserver sets, which say nothing about what a command changes. */
function normalise(object: KubeObject | undefined): KubeObject | undefined {
  if (!object) return undefined
  const copy = structuredClone(object)
  const meta = copy.metadata as Record<string, unknown>
  for (const field of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation']) delete meta[field]
  delete copy.status
  return copy
}

/**
 * Secret data masked as kubectl diff masks it: "***" where a value is the
 * same before and after, "*** (before)" / "*** (after)" where it changes.
 */
function mask(object: KubeObject | undefined, other: KubeObject | undefined, side: 'before' | 'after'): KubeObject | undefined {
  if (!object || object.kind !== 'Secret') return object
  const data = (object.data ?? {}) as Record<string, string>
  const otherData = (other?.data ?? {}) as Record<string, string>
  const masked = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, otherData[key] === undefined || otherData[key] === value ? '***' : `*** (${side})`]))
  const {stringData: _dropped, ...rest} = object
  return {...rest, data: masked}
}

/**
 * JSON kept compact in a ConfigMap (the registry: one line, so it stays far
 * below the 1 MiB limit) indented for the diff only, so that a change shows
 * as the lines it changes rather than as one long line replaced.
 */
function readable(object: KubeObject | undefined): KubeObject | undefined {
  if (!object || object.kind !== 'ConfigMap' || !object.data) return object
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([key, value]) => {
      if (!key.endsWith('.json')) return [key, value]
      try {
        return [key, JSON.stringify(JSON.parse(value), null, 2)]
      } catch {
        return [key, value]
      }
    }),
  )
  return {...object, data}
}

const dump = (object: KubeObject | undefined): string => (object ? yaml.dump(object, {noRefs: true, lineWidth: -1, sortKeys: true, quotingType: '"'}) : '')

const fileName = (context: string, entry: JournalEntry): string => {
  const group = entry.ref.apiVersion.replace('/', '.')
  return `${context}/${group}.${entry.ref.kind}${entry.ref.namespace ? `.${entry.ref.namespace}` : ''}.${entry.ref.name}`
}

/** The objects as they would be after the change (deletions left out), Secrets masked unless asked. */
export function wouldBeObjects(changes: ClusterChanges[], showSecrets: boolean): KubeObject[] {
  return changes.flatMap((c) =>
    c.entries.filter((e) => e.after).map((e) => (showSecrets ? normalise(e.after)! : mask(normalise(e.after), normalise(e.before), 'after')!)),
  )
}

export interface DiffReport {
  text: string
  changed: number
  unchanged: number
}

/**
 * What would change, in kubectl diff's shape: one unified diff per object
 * between its live state and what the apiserver's dry run returned.
 */
export async function diffReport(changes: ClusterChanges[], showSecrets: boolean): Promise<DiffReport> {
  const {createTwoFilesPatch} = await import('diff')
  const parts: string[] = []
  let changed = 0
  let unchanged = 0
  for (const {context, entries} of changes) {
    for (const entry of entries) {
      const before = readable(normalise(entry.before))
      const after = readable(normalise(entry.after))
      const live = dump(showSecrets ? before : mask(before, after, 'before'))
      const merged = dump(showSecrets ? after : mask(after, before, 'after'))
      if (live === merged) {
        unchanged++
        continue
      }
      changed++
      const name = fileName(context, entry)
      const patch = createTwoFilesPatch(`live/${name}`, `merged/${name}`, live, merged, undefined, undefined, {context: 3})
      const note = entry.validated ? '' : `# not checked by the apiserver: namespace ${entry.ref.namespace} does not exist yet\n`
      parts.push(`diff -u -N live/${name} merged/${name}\n${note}${patch.split('\n').slice(1).join('\n').trimEnd()}`)
    }
  }
  return {text: parts.join('\n'), changed, unchanged}
}

/** Objects rendered without a cluster, as they would be printed: Secrets masked unless asked. */
export function plannedObjects(objects: KubeObject[], showSecrets: boolean): KubeObject[] {
  return showSecrets ? objects : objects.map((o) => mask(o, undefined, 'after')!)
}
