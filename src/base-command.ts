import {Command, Interfaces} from '@oclif/core'

import {SvcgwError} from './errors.js'
import {connectionFlags, outputFlags, parseDuration} from './flags/index.js'
import type {Home} from './gateway/home.js'
import type {LiveOptions} from './gateway/sync.js'
import type {KubeSession} from './kube/session.js'
import {errColour} from './ui/colour.js'
import type {OutputFormat} from './ui/output.js'
import type {Reporter} from './ui/reporter.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<typeof outputFlags & T['flags']>
export type ClusterFlags<T extends typeof Command> = Interfaces.InferredFlags<typeof connectionFlags & typeof outputFlags & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Flags a command may or may not declare; read through this so each declares only what it honours. */
interface OptionalFlags {
  'dry-run'?: boolean
  'show-secrets'?: boolean
  wait?: boolean
  timeout?: string
  yes?: boolean
}

/** oclif's wording of its own parse errors, made one line. */
export function parseErrorLine(message: string): string {
  return message
    .replace(/See more help with --help:?\s*/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ')
}

/**
 * Shared by every command: output (text to stdout, progress to stderr so
 * `-o json` stays clean) and one error path (a single line naming the
 * fix, an exit code per error class, no stack trace unless --verbose or
 * DEBUG).
 */
export abstract class SvcgwCommand<T extends typeof Command> extends Command {
  static override baseFlags: Interfaces.FlagInput = outputFlags

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  /** The json/yaml writers, loaded only for -o json|yaml: they bring js-yaml, which `version` and help never need. */
  protected structured?: typeof import('./ui/output.js')
  /** Every positional argument, for commands that take a list. */
  protected positionals: string[] = []

  override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof SvcgwCommand
    const {args, argv, flags} = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    this.positionals = argv as string[]
    if (this.format !== 'text') this.structured = await import('./ui/output.js')
  }

  protected get format(): OutputFormat {
    return (this.flags as {output?: OutputFormat} | undefined)?.output ?? 'text'
  }

  protected get verbose(): boolean {
    // Flags are unset when parsing itself failed, so look at argv too.
    const flags = this.flags as {verbose?: boolean} | undefined
    return Boolean(flags?.verbose ?? this.argv.includes('--verbose')) || Boolean(process.env.DEBUG)
  }

  /** Prints a typed result: structured for -o json|yaml, else the text rendering. */
  protected emit<R>(result: R, text: (r: R) => string): R {
    this.log(this.format === 'text' ? text(result) : this.structured!.formatStructured(result, this.format))
    return result
  }

  /** Prints Kubernetes objects the way `kubectl … -o yaml|json` does. */
  protected emitObjects(objects: object[], text: () => string): void {
    this.log(this.format === 'text' ? text() : this.structured!.formatObjects(objects, this.format))
  }

  /** Progress for humans: stderr, so stdout stays parseable. */
  protected progress(message: string): void {
    process.stderr.write(`${errColour.dim('•')} ${message}\n`)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (this.verbose) process.stderr.write(`${error.stack ?? error.message}\n`)
    if (error instanceof SvcgwError) {
      // oclif rewrites the message of an error thrown while parsing a flag into several lines.
      process.stderr.write(`${errColour.red('error:')} ${parseErrorLine(error.line)}\n`)
      return this.exit(error.exitCode)
    }
    // oclif's own parse errors (unknown flag, missing arg, exclusive flags) are usage errors.
    if (error.oclif?.exit !== undefined && /Parse|Flag|Arg|Nonexistent|Unexpected|Expected|Failed Validation/i.test(error.constructor.name + error.message)) {
      process.stderr.write(`${errColour.red('error:')} ${parseErrorLine(error.message)}: see --help\n`)
      return this.exit(2)
    }
    if (error.oclif?.exit === 0) throw error
    if (!this.verbose) process.stderr.write(`${errColour.red('error:')} ${error.message.split('\n')[0]} (rerun with --verbose for details)\n`)
    return this.exit(typeof error.exitCode === 'number' ? error.exitCode : 1)
  }
}

/** A command that talks to clusters: kubectl's connection flags too. */
export abstract class ClusterCommand<T extends typeof Command> extends SvcgwCommand<T> {
  static override baseFlags: Interfaces.FlagInput = {...connectionFlags, ...outputFlags}
  declare protected flags: ClusterFlags<T>
  private kube?: KubeSession

  private get optional(): OptionalFlags {
    return this.flags as OptionalFlags
  }

  override async init(): Promise<void> {
    await super.init()
    // A bad --timeout is a usage error before anything happens, like any other bad flag.
    this.timeoutMs = parseDuration(this.optional.timeout ?? '5m')
  }

  /** --timeout in milliseconds. */
  protected timeoutMs = 300_000

  protected get dryRun(): boolean {
    return Boolean(this.optional['dry-run'])
  }

  protected get reporter(): Reporter {
    return {
      step: (message) => this.progress(message),
      warn: (message) => process.stderr.write(`${errColour.yellow('warning:')} ${message}\n`),
    }
  }

  /** The kubeconfig, read once per run; in a dry run every cluster keeps a journal. */
  protected async session(): Promise<KubeSession> {
    if (!this.kube) {
      const {KubeSession} = await import('./kube/session.js')
      this.kube = new KubeSession({kubeconfig: this.flags.kubeconfig}, {dryRun: this.dryRun})
    }
    return this.kube
  }

  /** The server (home) side: --context, or the current context, and the gateway namespace. */
  protected async home(): Promise<Home> {
    const {openHome} = await import('./gateway/home.js')
    return openHome(await this.session(), this.flags)
  }

  /** --wait and --timeout as one deadline, counted from now. */
  protected live(): LiveOptions {
    return {wait: this.optional.wait ?? true, deadline: Date.now() + this.timeoutMs}
  }

  /** With SVCGW_STATS set, what the command asked of the apiservers (for the scale benchmark, and for curious users). */
  override async finally(error: Error | undefined): Promise<unknown> {
    if (process.env.SVCGW_STATS && this.kube) {
      const {formatStats, requestStats} = await import('./kube/stats.js')
      process.stderr.write(`${formatStats(requestStats)}\n`)
      if (process.env.SVCGW_STATS === 'json') process.stderr.write(`SVCGW_STATS ${JSON.stringify(requestStats)}\n`)
    }
    return super.finally(error)
  }

  /** Provider contexts from --to; without it, a picker on a TTY, else an error naming the flag. */
  protected async providerContexts(flag = 'to'): Promise<string[]> {
    const given = (this.flags as Record<string, unknown>)[flag] as string[] | undefined
    if (given && given.length > 0) return [...new Set(given)]
    const {pickContexts} = await import('./ui/prompts.js')
    return pickContexts((await this.session()).contextNames(), {yes: Boolean(this.optional.yes), flag: `--${flag}`})
  }

  /** Asks before a destructive action; a dry run, --yes skip it; no TTY without --yes fails. */
  protected async confirm(question: string): Promise<void> {
    if (this.dryRun) return
    const {confirmOrFail} = await import('./ui/prompts.js')
    await confirmOrFail(question, {yes: Boolean(this.optional.yes)})
  }

  /**
   * Prints a result. In a dry run that is what would change: a diff
   * against the live objects (-o yaml|json: the objects themselves), with
   * the result's summary on stderr.
   */
  protected async finish<R extends {summary: string}>(result: R, text: (r: R) => string = (r) => r.summary): Promise<R> {
    if (!this.dryRun) return this.emit(result, text)
    const {diffReport, wouldBeObjects} = await import('./ui/dry-run-report.js')
    const changes = (await this.session()).opened().map((c) => ({context: c.context, entries: c.journal?.list() ?? []}))
    const showSecrets = Boolean(this.optional['show-secrets'])
    if (this.format === 'text') {
      const report = await diffReport(changes, showSecrets)
      if (report.text) this.log(report.text)
      this.progress(`dry run: ${report.changed} object(s) would change, ${report.unchanged} unchanged; nothing was changed`)
    } else {
      this.log(this.structured!.formatObjects(wouldBeObjects(changes, showSecrets), this.format))
    }
    this.progress(result.summary)
    return result
  }
}
