/**
 * One error type for everything the user can fix. The message is a single
 * line that says what is wrong and names the fix; the class decides the exit
 * code so scripts can tell a typo from an outage.
 */
export type ErrorClass = 'usage' | 'notFound' | 'conflict' | 'unreachable' | 'forbidden' | 'timeout' | 'unhealthy' | 'unknown' | 'internal'

export const EXIT_CODES: Record<ErrorClass, number> = {
  internal: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  unreachable: 5,
  forbidden: 6,
  timeout: 7,
  unhealthy: 8,
  /** Health could not be determined (live data unreadable): not the same as unhealthy. */
  unknown: 9,
}

export class SvcgwError extends Error {
  readonly exitCode: number

  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly fix?: string,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = 'SvcgwError'
    this.exitCode = EXIT_CODES[errorClass]
  }

  /** The line printed to the user: problem, then the fix. */
  get line(): string {
    return this.fix ? `${this.message}: ${this.fix}` : this.message
  }
}

export const usageError = (message: string, fix?: string) => new SvcgwError('usage', message, fix)
export const notFoundError = (message: string, fix?: string) => new SvcgwError('notFound', message, fix)
export const conflictError = (message: string, fix?: string) => new SvcgwError('conflict', message, fix)
export const timeoutError = (message: string, fix?: string) => new SvcgwError('timeout', message, fix)

/** Several failures at once (e.g. one per context), reported together as subctl does. */
export class AggregateSvcgwError extends SvcgwError {
  constructor(readonly errors: SvcgwError[]) {
    const worst = errors.reduce((a, b) => (a.exitCode >= b.exitCode ? a : b))
    super(worst.errorClass, errors.map((e) => e.line).join('; '))
  }
}
