import {closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {basename, dirname, join} from 'node:path'

import {usageError} from '../errors.js'

/**
 * Writes a file that holds a private key: into a new temporary file in the
 * same directory, created 0600 and exclusively (O_EXCL: never an existing
 * file or a symlink planted there), then renamed over the target, which
 * replaces a symlink itself instead of writing through it. Readers see the
 * old file or the whole new one.
 */
export function writePrivateFile(path: string, content: string): void {
  let existing: ReturnType<typeof lstatSync> | undefined
  try {
    existing = lstatSync(path)
  } catch {}
  if (existing?.isDirectory()) throw usageError(`${path} is a directory`, 'give a file name with --file')
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number
  try {
    fd = openSync(temp, 'wx', 0o600)
  } catch (error) {
    throw usageError(`cannot write in ${dirname(path)}: ${(error as NodeJS.ErrnoException).code}`, 'pass --file with a path in a directory you can write')
  }
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temp, {force: true})
    throw error
  }
  closeSync(fd)
  renameSync(temp, path)
}
