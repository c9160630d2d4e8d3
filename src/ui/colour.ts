import {Chalk} from 'chalk'

/**
 * chalk already honours NO_COLOR/FORCE_COLOR and TTY detection for stdout;
 * stderr progress is coloured only when stderr itself is a terminal.
 */
export const colour = new Chalk(process.env.NO_COLOR ? {level: 0} : undefined)
export const errColour = new Chalk({level: process.env.NO_COLOR || !process.stderr.isTTY ? 0 : colour.level})

// eslint-disable-next-line no-control-regex
export const visibleLength = (s: string): number => s.replace(/\u001B\[[0-9;]*m/g, '').length
