import {randomBytes} from 'node:crypto'

const KEY_BYTES = 256
const HEX_PER_LINE = 32

/**
 * A 2048-bit OpenVPN static key (the format `openvpn --genkey secret` writes),
 * used for tls-crypt: it encrypts and authenticates the TLS control channel,
 * so the server drops unauthenticated packets before any TLS work.
 */
export function generateTlsCryptKey(): string {
  const hex = randomBytes(KEY_BYTES).toString('hex')
  const lines: string[] = []
  for (let i = 0; i < hex.length; i += HEX_PER_LINE) lines.push(hex.slice(i, i + HEX_PER_LINE))
  return [
    '#',
    `# ${KEY_BYTES * 8} bit OpenVPN static key`,
    '#',
    '-----BEGIN OpenVPN Static key V1-----',
    ...lines,
    '-----END OpenVPN Static key V1-----',
    '',
  ].join('\n')
}

/** Checks the shape OpenVPN accepts, so a corrupted Secret is reported before a pod crash-loops. */
export function isTlsCryptKey(text: string): boolean {
  const match = /-----BEGIN OpenVPN Static key V1-----\n([\da-f\n]+)-----END OpenVPN Static key V1-----/.exec(text)
  return match !== null && match[1].replaceAll('\n', '').length === KEY_BYTES * 2
}
