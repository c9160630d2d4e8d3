import {type KubeObject, keyOf, type ObjectRef} from './object.js'

/** What one object would become: `after` undefined means deleted. */
export interface JournalEntry {
  ref: ObjectRef
  /** The live object when this run first touched it; undefined if it did not exist. */
  before?: KubeObject
  after?: KubeObject
  /**
   * Whether the apiserver validated `after` (a server-side dry run). Objects
   * inside a namespace that does not exist yet cannot be: the apiserver
   * refuses them with "namespace not found" until the namespace is real.
   */
  validated: boolean
}

/**
 * The writes of a dry run, kept so that later reads in the same run see
 * what earlier writes would have made (a registry update, then a render of
 * it), and so the command can show the whole change as a diff at the end.
 */
export class DryRunJournal {
  private readonly entries = new Map<string, JournalEntry>()
  /** Namespaces this run would create: nothing inside them can be validated by the apiserver. */
  readonly pendingNamespaces = new Set<string>()

  has(ref: ObjectRef): boolean {
    return this.entries.has(keyOf(ref))
  }

  get(ref: ObjectRef): JournalEntry | undefined {
    return this.entries.get(keyOf(ref))
  }

  /** Records a would-be state; the first record of an object keeps its live `before`. */
  record(ref: ObjectRef, before: KubeObject | undefined, after: KubeObject | undefined, validated: boolean): void {
    const key = keyOf(ref)
    const first = this.entries.get(key)
    this.entries.set(key, {ref, before: first ? first.before : before, after, validated: first ? first.validated && validated : validated})
  }

  /** Every touched object, in the order first touched. */
  list(): JournalEntry[] {
    return [...this.entries.values()]
  }
}
