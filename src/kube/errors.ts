import {SvcgwError} from '../errors.js'

interface ApiLike {
  code?: number
  body?: unknown
  message?: string
  cause?: {code?: string}
  code_?: string
}

function apiMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as {message?: string}).message
    } catch {
      return body.slice(0, 200) || undefined
    }
  }
  return (body as {message?: string} | undefined)?.message
}

const NETWORK_CODES = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|CERT|SELF_SIGNED|UND_ERR|socket hang up/

/**
 * The one place where Kubernetes client failures become our errors, with the
 * context named so that a multi-cluster run says which cluster failed.
 */
export function mapKubeError(error: unknown, context: string, doing: string): SvcgwError {
  if (error instanceof SvcgwError) return error
  const e = error as ApiLike
  const message = apiMessage(e.body) ?? e.message ?? String(error)
  const where = `context "${context}"`
  switch (typeof e.code === 'number' ? e.code : 0) {
    case 401:
      return new SvcgwError('forbidden', `${doing}: unauthorized in ${where}`, 'refresh the credentials of that context', {cause: error})
    case 403:
      return new SvcgwError('forbidden', `${doing}: forbidden in ${where} (${message})`, 'ask for the RBAC permission it names, or use a context that has it', {cause: error})
    case 404:
      return new SvcgwError('notFound', `${doing}: not found in ${where} (${message})`, undefined, {cause: error})
    case 409:
      return new SvcgwError('conflict', `${doing}: conflict in ${where} (${message})`, 'run the command again', {cause: error})
    case 400:
    case 422:
      return new SvcgwError('usage', `${doing}: rejected by ${where} (${message})`, undefined, {cause: error})
  }
  // Exec and port-forward upgrade to a WebSocket: a refusal arrives as this text, not as a status.
  const upgrade = /Unexpected server response: (\d{3})/.exec(message)?.[1]
  if (upgrade === '403') {
    return new SvcgwError('forbidden', `${doing}: forbidden in ${where}`, 'ask for the RBAC permission on pods/exec or pods/portforward it needs (see docs/rbac.md)', {cause: error})
  }
  const detail = `${e.cause?.code ?? ''} ${message}`
  if (NETWORK_CODES.test(detail) || /fetch failed|request to .* failed/i.test(message)) {
    return new SvcgwError(
      'unreachable',
      `${doing}: cannot reach the cluster of ${where} (${message.split('\n')[0]})`,
      'check that the cluster is up and the context is right (--context/--to)',
      {cause: error},
    )
  }
  return new SvcgwError('internal', `${doing} in ${where}: ${message.split('\n')[0]}`, undefined, {cause: error})
}
