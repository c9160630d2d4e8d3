/** What an executable is built for, read from its header: enough to tell each release archive's runtime apart. */
export interface BinaryKind {
  format: 'elf' | 'mach-o' | 'pe'
  arch: 'amd64' | 'arm64' | 'other'
  /** Mach-O only: whether it carries a code signature (Apple silicon runs no unsigned binary). */
  signed?: boolean
}

export function binaryKind(data: Buffer): BinaryKind | undefined {
  if (data.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    const machine = data.readUInt16LE(18)
    return {format: 'elf', arch: machine === 0x3e ? 'amd64' : machine === 0xb7 ? 'arm64' : 'other'}
  }
  if (data.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = data.readUInt32LE(4)
    const commands = data.readUInt32LE(16)
    let offset = 32
    let signed = false
    for (let i = 0; i < commands; i++) {
      if (data.readUInt32LE(offset) === 0x1d) signed = true // LC_CODE_SIGNATURE
      offset += data.readUInt32LE(offset + 4)
    }
    return {format: 'mach-o', arch: cpu === 0x01000007 ? 'amd64' : cpu === 0x0100000c ? 'arm64' : 'other', signed}
  }
  if (data.subarray(0, 2).toString('latin1') === 'MZ') {
    const pe = data.readUInt32LE(0x3c)
    if (data.subarray(pe, pe + 4).toString('latin1') !== 'PE\0\0') return undefined
    const machine = data.readUInt16LE(pe + 4)
    return {format: 'pe', arch: machine === 0x8664 ? 'amd64' : machine === 0xaa64 ? 'arm64' : 'other'}
  }
  return undefined
}
