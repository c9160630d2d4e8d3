import {Command, Interfaces} from '@oclif/core'

import {SvcgwError} from './errors.js'
import {kubeFlags, outputFlags} from './flags/index.js'
import {Home, resolveNamespace} from './gateway/home.js'
import {errColour} from './ui/colour.js'
import {Reporter} from './ui/reporter.js'
import {formatObjects, formatStructured, OutputFormat} from './ui/output.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<typeof outputFlags & T['flags']>
export type ClusterFlags<T extends typeof Command> = Interfaces.InferredFlags<typeof kubeFlags & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Shared by every command: kubectl's flags, one output path (text to stdout,
 * progress to stderr so `-o json` stays clean) and one error path (a single
 * line naming the fix, an exit code per error class, no stack trace unless
 * --verbose or DEBUG).
 */
export abstract class SvcgwCommand<T extends typeof Command> extends Command {
  static override baseFlags: Interfaces.FlagInput = outputFlags

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
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
    this.log(this.format === 'text' ? text(result) : formatStructured(result, this.format))
    return result
  }

  /** Prints Kubernetes objects the way `kubectl … -o yaml|json` does. */
  protected emitObjects(objects: object[], text: () => string): void {
    this.log(this.format === 'text' ? text() : formatObjects(objects, this.format))
  }

  /** Progress for humans: stderr, so stdout stays parseable. */
  protected progress(message: string): void {
    process.stderr.write(`${errColour.dim('•')} ${message}\n`)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (this.verbose) process.stderr.write(`${error.stack ?? error.message}\n`)
    if (error instanceof SvcgwError) {
      // oclif rewrites the message of an error thrown while parsing a flag into several lines.
      const line = error.line
        .replace(/See more help with --help:?\s*/, '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(': ')
      process.stderr.write(`${errColour.red('error:')} ${line}\n`)
      return this.exit(error.exitCode)
    }
    // oclif's own parse errors (unknown flag, missing arg) are usage errors.
    if (error.oclif?.exit !== undefined && /Parse|Flag|Arg|Nonexistent|Unexpected|Expected/.test(error.constructor.name + error.message)) {
      const first = error.message.split('\n')[0]
      process.stderr.write(`${errColour.red('error:')} ${first}: see --help\n`)
      return this.exit(2)
    }
    if (error.oclif?.exit === 0) throw error
    if (!this.verbose) process.stderr.write(`${errColour.red('error:')} ${error.message.split('\n')[0]} (rerun with --verbose for details)\n`)
    return this.exit(typeof error.exitCode === 'number' ? error.exitCode : 1)
  }
}

/** A command that talks to clusters (or renders for them): kubectl's flags too. */
export abstract class ClusterCommand<T extends typeof Command> extends SvcgwCommand<T> {
  static override baseFlags: Interfaces.FlagInput = kubeFlags
  declare protected flags: ClusterFlags<T>

  protected get reporter(): Reporter {
    return {
      step: (message) => this.progress(message),
      warn: (message) => process.stderr.write(`${errColour.yellow('warning:')} ${message}\n`),
    }
  }

  /** The server (home) side: --context, or the current context, and the gateway namespace. */
  protected async home(): Promise<Home> {
    const {openCluster} = await import('./kube/contexts.js')
    const cluster = openCluster({kubeconfig: this.flags.kubeconfig}, this.flags.context)
    return new Home(cluster, resolveNamespace(this.flags.namespace, cluster))
  }

  /** Provider contexts from --to; without it, a picker on a TTY, else an error naming the flag. */
  protected async providerContexts(flag = 'to'): Promise<string[]> {
    const given = (this.flags as Record<string, unknown>)[flag] as string[] | undefined
    if (given && given.length > 0) return [...new Set(given)]
    const {contextNames} = await import('./kube/contexts.js')
    const {pickContexts} = await import('./ui/prompts.js')
    return pickContexts(contextNames({kubeconfig: this.flags.kubeconfig}), {yes: this.flags.yes, flag: `--${flag}`})
  }

  /** Asks before a destructive action; --yes skips, no TTY without --yes fails. */
  protected async confirm(question: string): Promise<void> {
    const {confirmOrFail} = await import('./ui/prompts.js')
    await confirmOrFail(question, {yes: this.flags.yes})
  }
}
